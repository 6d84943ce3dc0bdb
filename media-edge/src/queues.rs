//! The callers waiting in hunt groups' queues at this edge, per group in
//! the order they arrived. Each waiting call's task keeps its own entry:
//! it joins when the edge answers it into the queue and leaves when a
//! member answers, the caller gives up or the wait runs out.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::HuntGroupId;

#[derive(Debug, Default)]
pub struct Queues {
    lines: Mutex<HashMap<HuntGroupId, Vec<String>>>,
}

impl Queues {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<HuntGroupId, Vec<String>>) -> T) -> T {
        let mut guard = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Puts `call` at the end of `g`'s line (once); its position, 1-based.
    pub fn join(&self, g: &HuntGroupId, call: &str) -> usize {
        self.with(|m| {
            let line = m.entry(g.clone()).or_default();
            if !line.iter().any(|c| c == call) {
                line.push(call.to_owned());
            }
            line.iter().position(|c| c == call).map_or(0, |i| i + 1)
        })
    }

    pub fn leave(&self, g: &HuntGroupId, call: &str) {
        self.with(|m| {
            if let Some(line) = m.get_mut(g) {
                line.retain(|c| c != call);
                if line.is_empty() {
                    m.remove(g);
                }
            }
        });
    }

    /// Where `call` stands in `g`'s line (1 is next), if it is in it.
    pub fn position(&self, g: &HuntGroupId, call: &str) -> Option<usize> {
        self.with(|m| {
            m.get(g)
                .and_then(|line| line.iter().position(|c| c == call))
                .map(|i| i + 1)
        })
    }

    /// How many callers wait for `g`.
    pub fn len(&self, g: &HuntGroupId) -> usize {
        self.with(|m| m.get(g).map_or(0, Vec::len))
    }

    pub fn is_empty(&self, g: &HuntGroupId) -> bool {
        self.len(g) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_keep_their_order_and_move_up_as_others_leave() {
        let q = Queues::default();
        let g = HuntGroupId::generate();
        assert_eq!(
            (q.join(&g, "a"), q.join(&g, "b"), q.join(&g, "c")),
            (1, 2, 3)
        );
        assert_eq!(q.join(&g, "b"), 2, "joining twice changes nothing");
        q.leave(&g, "a");
        assert_eq!(
            (q.position(&g, "b"), q.position(&g, "c")),
            (Some(1), Some(2))
        );
        assert_eq!(q.position(&g, "a"), None);
        q.leave(&g, "b");
        q.leave(&g, "c");
        assert!(q.is_empty(&g));
    }
}
