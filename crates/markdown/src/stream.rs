//! Incremental parsing of a streamed reply: only the tail — from the start of the last
//! top-level block that can still change — is re-parsed on each push.
//!
//! A top-level block is *finished* once a later top-level block has started on a complete
//! line: CommonMark never reopens a closed block, so its parse cannot change. Streaming
//! deviation: a link reference definition that arrives after a block was finished does not
//! turn that block's `[label]` into a link while streaming; [`StreamingDocument::finish`]
//! re-parses the whole text whenever definitions were seen, so the final tree always equals
//! [`crate::parse`] of the whole text.

use crate::block::{BlockParser, RefMap};
use crate::Block;

/// A markdown document that grows by pushed text deltas.
#[derive(Debug, Default)]
pub struct StreamingDocument {
    text: String,
    tail_start: usize,
    finished: Vec<Block>,
    tail: Vec<Block>,
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

impl StreamingDocument {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `delta` and re-parses the unfinished tail.
    pub fn push(&mut self, delta: &str) -> Update<'_> {
        if delta.contains('\0') {
            self.text.push_str(&delta.replace('\0', "\u{FFFD}"));
        } else {
            self.text.push_str(delta);
        }
        let tail = &self.text[self.tail_start..];
        // A final '\r' may be the first half of "\r\n": not a complete line yet.
        let searched = tail.strip_suffix('\r').unwrap_or(tail);
        let complete = searched.rfind(['\n', '\r']).map_or(0, |i| i + 1);

        let mut parser = BlockParser::new(self.refs.clone());
        parser.feed_text(&tail[..complete], 0);
        let final_count = parser.top_level_count().saturating_sub(1);
        let new_tail_start = parser.top_level_start(final_count).unwrap_or(0);
        let final_refs = parser.refs_before(final_count);
        parser.feed_text(&tail[complete..], complete);
        let mut blocks = parser.finish().into_iter();
        self.saw_ref_defs |= parser.found_ref_defs();

        let before = self.finished.len();
        self.finished
            .extend(blocks.by_ref().take(final_count).flatten());
        self.tail = blocks.flatten().collect();
        self.tail_start += new_tail_start;
        for (label, def) in final_refs {
            self.refs.entry(label).or_insert(def);
        }
        Update {
            newly_finished: &self.finished[before..],
            tail: &self.tail,
        }
    }

    /// Blocks that will not change any more.
    pub fn finished(&self) -> &[Block] {
        &self.finished
    }

    /// The blocks after the finished ones, as of the last push.
    pub fn tail(&self) -> &[Block] {
        &self.tail
    }

    /// All text pushed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Ends the stream: the exact blocks of the whole text, equal to `parse(self.text())`.
    pub fn finish(self) -> Vec<Block> {
        if self.saw_ref_defs {
            return crate::parse(&self.text);
        }
        let mut blocks = self.finished;
        blocks.extend(self.tail);
        blocks
    }
}
