//! Incremental parsing of a streamed reply. Complete lines are fed once to a persistent
//! parser state; a tail build only finishes a copy of that state with the partial last line,
//! and leaves closed earlier are built once and then copied (shared through `Arc`, so the
//! document is `Send + Sync`). The cost of a push does not grow with the length of the reply,
//! only with the size of the still-open last block, by copying.
//!
//! A top-level block is *finished* once a later top-level block has started on a complete
//! line: CommonMark never reopens a closed block, and a block started at the top level does
//! not depend on the blocks before it, so re-parsing from its first line gives the same result
//! as parsing the whole text. The partial last line never finishes anything.
//!
//! Streaming deviation (the only one): links are resolved against the reference definitions
//! known when a paragraph, heading or table cell *closed*. A `[label]` whose definition
//! arrives later stays text in finished blocks (and in closed leaves of the open tail) while
//! streaming. Without definitions, finished blocks are exactly the final ones. With any,
//! [`StreamingDocument::finish`] re-parses the whole text, so the final tree always equals
//! [`crate::parse`] of the whole text.

use crate::block::{BlockParser, RefMap};
use crate::Block;

/// A markdown document that grows by pushed text deltas.
#[derive(Clone)]
pub struct StreamingDocument {
    text: String,
    /// Where the unfinished tail starts in `text`.
    tail_start: usize,
    /// Parser state after the complete lines of the tail; only new lines are fed to it.
    committed: BlockParser,
    /// Bytes of the tail fed to `committed` (always at a line start).
    committed_len: usize,
    finished: Vec<Block>,
    tail: Vec<Block>,
    /// Text was appended since `tail` was built.
    tail_stale: bool,
    refs: RefMap,
    saw_ref_defs: bool,
}

/// What a push changed, for a renderer that keeps finished blocks' DOM untouched.
#[derive(Debug, PartialEq, Eq)]
pub struct Update<'a> {
    /// Blocks that became final with this push; they come right after the blocks finished
    /// before and never change again.
    pub newly_finished: &'a [Block],
    /// The unfinished blocks after all finished ones; they replace the previous tail.
    pub tail: &'a [Block],
}

impl Default for StreamingDocument {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for StreamingDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingDocument")
            .field("text", &self.text)
            .field("tail_start", &self.tail_start)
            .field("finished", &self.finished)
            .field("tail", &self.tail)
            .finish_non_exhaustive()
    }
}

impl StreamingDocument {
    /// An empty document.
    pub fn new() -> Self {
        StreamingDocument {
            text: String::new(),
            tail_start: 0,
            committed: BlockParser::new(RefMap::new()),
            committed_len: 0,
            finished: Vec::new(),
            tail: Vec::new(),
            tail_stale: false,
            refs: RefMap::new(),
            saw_ref_defs: false,
        }
    }

    /// Appends `delta` and returns what changed: the blocks finished by it and the new tail.
    /// Builds the tail on every call; a renderer that draws once per animation frame can
    /// call [`StreamingDocument::append`] per delta and [`StreamingDocument::tail`] per frame.
    pub fn push(&mut self, delta: &str) -> Update<'_> {
        let before = self.finished.len();
        self.append(delta);
        self.build_tail();
        Update {
            newly_finished: &self.finished[before..],
            tail: &self.tail,
        }
    }

    /// Appends `delta` without building the tail: feeds newly completed lines to the
    /// committed parser state and moves blocks that can no longer change to the finished
    /// list. Returns the blocks finished by this delta.
    pub fn append(&mut self, delta: &str) -> &[Block] {
        if delta.contains('\0') {
            self.text.push_str(&delta.replace('\0', "\u{FFFD}"));
        } else {
            self.text.push_str(delta);
        }
        self.tail_stale = true;
        let before = self.finished.len();
        let mut complete = self.complete_tail_len();
        if complete > self.committed_len {
            let tail = &self.text[self.tail_start..];
            self.committed
                .feed_text(&tail[self.committed_len..complete], self.committed_len);
            self.committed_len = complete;
            self.committed.cache_closed();
            self.saw_ref_defs |= self.committed.found_ref_defs();
        }
        let final_count = self.committed.top_level_count().saturating_sub(1);
        if final_count > 0 {
            self.finished
                .extend(self.committed.build_top_level(final_count));
            for (label, def) in self.committed.refs_before(final_count) {
                self.refs.entry(label).or_insert(def);
            }
            let new_start = self.committed.top_level_start(final_count).unwrap_or(0);
            self.tail_start += new_start;
            complete -= new_start;
            // Start over from the last block, which cannot depend on the finished ones.
            self.committed = BlockParser::new(self.refs.clone());
            let tail = &self.text[self.tail_start..];
            self.committed.feed_text(&tail[..complete], 0);
            self.committed.cache_closed();
            self.committed_len = complete;
        }
        &self.finished[before..]
    }

    /// The blocks after the finished ones: built from a copy of the committed state plus
    /// the partial last line, if text arrived since the last build.
    pub fn tail(&mut self) -> &[Block] {
        self.build_tail();
        &self.tail
    }

    fn build_tail(&mut self) {
        if !self.tail_stale {
            return;
        }
        self.tail_stale = false;
        let mut view = self.committed.clone();
        let tail = &self.text[self.tail_start..];
        view.feed_text(&tail[self.committed_len..], self.committed_len);
        self.tail = view.finish().into_iter().flatten().collect();
        self.saw_ref_defs |= view.found_ref_defs();
    }

    /// Length of the tail's complete lines. A final '\r' may be the first half of "\r\n",
    /// so it does not end a line yet.
    fn complete_tail_len(&self) -> usize {
        let tail = &self.text[self.tail_start..];
        let searched = tail.strip_suffix('\r').unwrap_or(tail);
        searched.rfind(['\n', '\r']).map_or(0, |i| i + 1)
    }

    /// Blocks that will not change any more.
    pub fn finished(&self) -> &[Block] {
        &self.finished
    }

    /// All text pushed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the finished blocks and the last built tail are together exactly
    /// `parse(self.text())`, so that [`StreamingDocument::finish`] would return them
    /// unchanged: true unless a link reference definition was seen.
    pub fn is_exact(&self) -> bool {
        !self.saw_ref_defs && !self.tail_stale
    }

    /// Ends the stream: the exact blocks of the whole text, equal to `parse(self.text())`.
    pub fn finish(mut self) -> Vec<Block> {
        self.build_tail();
        if self.saw_ref_defs {
            return crate::parse(&self.text);
        }
        let mut blocks = self.finished;
        blocks.extend(self.tail);
        blocks
    }
}
