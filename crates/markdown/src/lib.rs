//! Markdown for chat replies: a small CommonMark + GFM parser into a safe block tree.
