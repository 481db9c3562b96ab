//! Splitting scripted text into "tokens": a word with the whitespace after it, long words
//! cut into pieces. Concatenating the tokens gives back the text exactly. Linear time.

/// Longest piece of a single word, in characters.
const MAX_WORD_PIECE: usize = 8;

/// Splits `text` into tokens whose concatenation is `text`.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::with_capacity(text.len() / 5 + 1);
    let mut start = 0;
    let mut after_space = false;
    let mut word_chars = 0;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        let cut = i > start && !space && (after_space || word_chars == MAX_WORD_PIECE);
        if cut {
            tokens.push(text[start..i].to_owned());
            start = i;
            word_chars = 0;
        }
        if space {
            after_space = true;
        } else {
            after_space = false;
            word_chars += 1;
        }
    }
    if start < text.len() {
        tokens.push(text[start..].to_owned());
    }
    tokens
}

/// Rough count of words, used for `prompt_tokens`.
pub fn count_words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_concatenate_back_to_the_text() {
        let text =
            "  Hello, wörld!\n\n| a | b |\n```rust\nfn main() {}\n```\nsupercalifragilistic ";
        assert_eq!(tokenize(text).concat(), text);
    }

    #[test]
    fn a_token_is_one_word_with_its_trailing_space() {
        assert_eq!(tokenize("one two  three"), ["one ", "two  ", "three"]);
    }

    #[test]
    fn long_words_are_cut_into_short_pieces() {
        let tokens = tokenize("abcdefghijklmnopqrst");
        assert_eq!(tokens, ["abcdefgh", "ijklmnop", "qrst"]);
    }

    #[test]
    fn empty_text_has_no_tokens() {
        assert!(tokenize("").is_empty());
    }

    #[test]
    fn words_are_counted_by_whitespace() {
        assert_eq!(count_words(" How many\tlanguages?\n"), 3);
    }
}
