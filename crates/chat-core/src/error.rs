//! Error kinds and the classification of failed responses.
