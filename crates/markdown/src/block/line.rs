//! The line being parsed: its position by byte and by column (tabs expand to the next
//! multiple of 4, and a tab can be consumed partly), as the block phases advance over it.

const TAB_STOP: usize = 4;

/// One line being processed: position by byte and by column (tabs expand to 4).
pub(super) struct Line<'a> {
    text: &'a str,
    pub(super) offset: usize,
    pub(super) column: usize,
    pub(super) partial_tab: bool,
    pub(super) first_nonspace: usize,
    first_nonspace_column: usize,
    pub(super) indent: usize,
    pub(super) blank: bool,
}

impl<'a> Line<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Line {
            text,
            offset: 0,
            column: 0,
            partial_tab: false,
            first_nonspace: 0,
            first_nonspace_column: 0,
            indent: 0,
            blank: false,
        }
    }

    pub(super) fn byte(&self, i: usize) -> u8 {
        self.text.as_bytes().get(i).copied().unwrap_or(b'\n')
    }

    pub(super) fn find_first_nonspace(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.offset;
        let mut col = self.column;
        let mut to_tab = TAB_STOP - col % TAB_STOP;
        while let Some(&c) = bytes.get(i) {
            match c {
                b' ' => {
                    i += 1;
                    col += 1;
                    to_tab -= 1;
                    if to_tab == 0 {
                        to_tab = TAB_STOP;
                    }
                }
                b'\t' => {
                    i += 1;
                    col += to_tab;
                    to_tab = TAB_STOP;
                }
                _ => break,
            }
        }
        self.first_nonspace = i;
        self.first_nonspace_column = col;
        self.indent = col - self.column;
        self.blank = i >= bytes.len();
    }

    /// Advances by `count` characters, or by `count` columns (`columns`), splitting a tab.
    pub(super) fn advance(&mut self, mut count: usize, columns: bool) {
        let bytes = self.text.as_bytes();
        while count > 0 {
            let Some(&c) = bytes.get(self.offset) else {
                break;
            };
            if c == b'\t' {
                let to_tab = TAB_STOP - self.column % TAB_STOP;
                if columns {
                    self.partial_tab = to_tab > count;
                    let used = to_tab.min(count);
                    self.column += used;
                    if !self.partial_tab {
                        self.offset += 1;
                    }
                    count -= used;
                } else {
                    self.partial_tab = false;
                    self.column += to_tab;
                    self.offset += 1;
                    count -= 1;
                }
            } else {
                self.partial_tab = false;
                self.offset += 1;
                self.column += 1;
                count -= 1;
            }
        }
    }

    pub(super) fn advance_to_first_nonspace(&mut self) {
        self.offset = self.first_nonspace;
        self.column = self.first_nonspace_column;
        self.partial_tab = false;
    }

    /// The rest of the line from the current position, a partly consumed tab as spaces.
    pub(super) fn rest_with_tab(&self) -> String {
        let mut out = String::new();
        let mut from = self.offset;
        if self.partial_tab {
            from += 1;
            let spaces = TAB_STOP - self.column % TAB_STOP;
            out.extend(std::iter::repeat_n(' ', spaces));
        }
        out.push_str(self.text.get(from..).unwrap_or(""));
        out
    }

    pub(super) fn after_indent(&self) -> &'a str {
        self.text.get(self.first_nonspace..).unwrap_or("")
    }
}
