//! The memory behind `previous_response_id`: the conversation items (input and output) of
//! the last stored responses, oldest forgotten first.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::request::Item;

/// Responses remembered.
pub const CAPACITY: usize = 64;

/// Stored conversations by response id.
#[derive(Debug, Default)]
pub struct ResponseStore {
    entries: Mutex<VecDeque<(String, Vec<Item>)>>,
}

impl ResponseStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, Vec<Item>)>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The whole conversation up to and including the response `id`.
    pub fn get(&self, id: &str) -> Option<Vec<Item>> {
        self.entries()
            .iter()
            .find(|(stored, _)| stored == id)
            .map(|(_, items)| items.clone())
    }

    /// Remembers `items` as the conversation of response `id`.
    pub fn put(&self, id: String, items: Vec<Item>) {
        let mut entries = self.entries();
        if entries.len() >= CAPACITY {
            entries.pop_front();
        }
        entries.push_back((id, items));
    }

    /// Forgets everything ("forget responses").
    pub fn clear(&self) {
        self.entries().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::request::Role;

    fn said(text: &str) -> Vec<Item> {
        vec![Item::Message {
            role: Role::User,
            text: text.to_owned(),
            images: Vec::new(),
        }]
    }

    #[test]
    fn the_oldest_response_is_forgotten_past_capacity() {
        let store = ResponseStore::default();
        for n in 0..=CAPACITY {
            store.put(format!("resp_{n}"), said(&n.to_string()));
        }
        assert_eq!(store.get("resp_0"), None);
        assert_eq!(store.get("resp_1"), Some(said("1")));
        assert_eq!(
            store.get(&format!("resp_{CAPACITY}")),
            Some(said(&CAPACITY.to_string()))
        );
    }

    #[test]
    fn clear_forgets_everything() {
        let store = ResponseStore::default();
        store.put("resp_a".into(), said("a"));
        store.clear();
        assert_eq!(store.get("resp_a"), None);
    }
}
