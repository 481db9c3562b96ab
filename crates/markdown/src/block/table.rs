//! GFM tables: the delimiter row that turns a paragraph's last line into a table header,
//! splitting rows into cells, and building the table block.

use super::{BlockParser, Kind, RefMap};
use crate::{inline, Alignment, Block};

impl BlockParser {
    /// A GFM delimiter row under a paragraph whose last line has as many cells.
    pub(super) fn table_start(&self, paragraph: usize, rest: &str) -> Option<Vec<Alignment>> {
        let align = delimiter_row(rest)?;
        let content = self.nodes[paragraph].content.trim_end_matches('\n');
        let header = content.rsplit('\n').next().unwrap_or(content);
        (split_row(header).len() == align.len()).then_some(align)
    }

    pub(super) fn start_table(&mut self, paragraph: usize, align: Vec<Alignment>) -> usize {
        let content = std::mem::take(&mut self.nodes[paragraph].content);
        let body = content.trim_end_matches('\n');
        let (before, header) = match body.rfind('\n') {
            Some(i) => (&body[..=i], &body[i + 1..]),
            None => ("", body),
        };
        let header = header.to_string();
        let header_offset = self.nodes[paragraph].last_line_offset;
        let kind = Kind::Table {
            align,
            header,
            rows: Vec::new(),
        };
        if before.is_empty() {
            let node = &mut self.nodes[paragraph];
            node.kind = kind;
            return paragraph;
        }
        self.nodes[paragraph].content = before.to_string();
        let parent = self.finalize(paragraph);
        self.add_child(parent, kind, header_offset)
    }
}

/// The table block: every row's cells inline-parsed, padded or cut to the columns of `align`.
pub(super) fn build(align: &[Alignment], header: &str, rows: &[String], refs: &RefMap) -> Block {
    let cells = |row: &str| {
        let mut cells: Vec<_> = split_row(row)
            .into_iter()
            .map(|cell| inline::parse(&cell, refs))
            .collect();
        cells.resize(align.len(), Vec::new());
        cells
    };
    Block::Table {
        align: align.to_vec(),
        header: cells(header),
        rows: rows.iter().map(|row| cells(row)).collect(),
    }
}

/// Splits a table row into trimmed cell texts, with `\|` turned into `|`.
fn split_row(row: &str) -> Vec<String> {
    let row = row.trim_matches([' ', '\t']);
    let row = row.strip_prefix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = row.chars().peekable();
    let mut closed = false;
    while let Some(c) = chars.next() {
        closed = false;
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '\\' => {
                cell.push('\\');
                if let Some(next) = chars.next() {
                    cell.push(next);
                }
            }
            '|' => {
                cells.push(cell.trim_matches([' ', '\t']).to_string());
                cell.clear();
                closed = true;
            }
            _ => cell.push(c),
        }
    }
    if !closed || cells.is_empty() {
        cells.push(cell.trim_matches([' ', '\t']).to_string());
    }
    cells
}

fn delimiter_row(rest: &str) -> Option<Vec<Alignment>> {
    if !rest.contains('|') {
        return None;
    }
    split_row(rest)
        .iter()
        .map(|cell| {
            let left = cell.starts_with(':');
            let right = cell.ends_with(':') && cell.len() > 1;
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
                return None;
            }
            Some(match (left, right) {
                (true, true) => Alignment::Center,
                (true, false) => Alignment::Left,
                (false, true) => Alignment::Right,
                (false, false) => Alignment::None,
            })
        })
        .collect()
}
