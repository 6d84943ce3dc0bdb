//! ARS scenarios (자동응답, T4): what a caller to one of the tenant's
//! numbers hears and can press, as a graph of nodes. A node plays a
//! prompt, offers a menu of keys, collects digits (an extension), branches
//! on business hours, routes the call (a user, a hunt group, a voicemail
//! box, a callback request, an outside number) or hangs up.
//!
//! [`Scenario::validate`] checks the graph on save: the start and every
//! target exist, every node is reachable, every path can end (in a route
//! or a hang-up), and every loop waits for the caller (passes a menu or a
//! digit collection, which time out and give up after their retries), so
//! no scenario plays forever. Each problem has a stable code
//! ([`IvrError::code`]). That accounts, groups and numbers exist is the
//! application's check.

#[cfg(test)]
mod tests;
pub mod walk;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::hours::BusinessHours;
use crate::{AccountId, HuntGroupId, IvrId, PhoneNumber, TenantId};

pub const MAX_NODES: usize = 100;
pub const NAME_CHARS: usize = 60;
pub const PROMPT_CHARS: usize = 500;
pub const TIMEOUT_SECS: std::ops::RangeInclusive<u32> = 1..=30;
pub const MAX_RETRIES: u32 = 5;
pub const DIGITS: std::ops::RangeInclusive<u32> = 1..=16;
/// The keys of a phone's keypad.
pub const KEYS: &str = "0123456789*#";

/// What a node says: text spoken by TTS, or an uploaded recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Prompt {
    Tts { text: String },
    Audio { id: String },
}

/// Where a scenario hands the call over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Destination {
    User {
        account: AccountId,
    },
    Group {
        group: HuntGroupId,
    },
    Voicemail {
        account: AccountId,
    },
    /// The caller leaves a callback request (their number, or one keyed in).
    Callback,
    Outside {
        number: PhoneNumber,
    },
}

/// One key of a menu and where it leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MenuOption {
    pub key: char,
    pub next: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Plays a prompt, then goes on.
    Play {
        prompt: Prompt,
        next: String,
    },
    /// Plays a prompt and waits for a key. An invalid key or silence for
    /// `timeout_secs` plays `invalid` (if any) and asks again, `retries`
    /// times; then the call goes to `fallback`.
    Menu {
        prompt: Prompt,
        options: Vec<MenuOption>,
        timeout_secs: u32,
        retries: u32,
        #[serde(default)]
        invalid: Option<Prompt>,
        fallback: String,
    },
    /// Plays a prompt and collects up to `max_digits` keys (ended by `#` or
    /// silence): an extension, whose user or group the call then reaches.
    /// An extension nobody holds is asked again, then `fallback`.
    Collect {
        prompt: Prompt,
        max_digits: u32,
        timeout_secs: u32,
        retries: u32,
        #[serde(default)]
        invalid: Option<Prompt>,
        fallback: String,
    },
    /// Goes to `open` within the hours (and not on a holiday), else `closed`.
    Hours {
        hours: BusinessHours,
        open: String,
        closed: String,
    },
    Route {
        to: Destination,
    },
    HangUp {
        #[serde(default)]
        prompt: Option<Prompt>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Node {
    /// Unique in the scenario: 1-32 of a-z, 0-9, `-`, `_`.
    pub id: String,
    /// What the editor shows (optional).
    #[serde(default)]
    pub label: Option<String>,
    pub action: Action,
}

/// A tenant's ARS scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scenario {
    pub tenant: TenantId,
    pub id: IvrId,
    pub name: String,
    /// The tenant's numbers whose calls this scenario answers.
    pub numbers: Vec<PhoneNumber>,
    pub start: String,
    pub nodes: Vec<Node>,
    pub created_at: i64,
}

/// Why a scenario is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IvrError {
    #[error("the scenario needs a name of 1 to {NAME_CHARS} characters")]
    Name,
    #[error("the scenario needs 1 to {MAX_NODES} nodes")]
    NodeCount,
    #[error("node id {0:?} must be 1-32 of a-z, 0-9, '-' or '_'")]
    NodeId(String),
    #[error("node {0} appears twice")]
    DuplicateNode(String),
    #[error("the start node {0} does not exist")]
    NoStart(String),
    #[error("node {from} leads to {to}, which does not exist")]
    UnknownTarget { from: String, to: String },
    #[error("node {0} cannot be reached from the start")]
    Unreachable(String),
    #[error("from node {0} the call can never be routed or hung up")]
    DeadEnd(String),
    #[error("nodes {0:?} loop without waiting for the caller")]
    EndlessLoop(Vec<String>),
    #[error("menu {0} has no keys")]
    EmptyMenu(String),
    #[error("menu {node}: {key:?} is not a keypad key or is used twice")]
    MenuKey { node: String, key: char },
    #[error("node {0}: a wait must be 1 to 30 seconds")]
    Timeout(String),
    #[error("node {0}: at most {MAX_RETRIES} retries")]
    Retries(String),
    #[error("node {0}: collect 1 to 16 digits")]
    Digits(String),
    #[error("node {0}: a prompt needs text of 1 to {PROMPT_CHARS} characters, or a recording")]
    Prompt(String),
    #[error("node {0}: the business hours are invalid")]
    Hours(String),
}

impl IvrError {
    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            IvrError::Name => "ivr_name",
            IvrError::NodeCount => "ivr_node_count",
            IvrError::NodeId(_) => "ivr_node_id",
            IvrError::DuplicateNode(_) => "ivr_duplicate_node",
            IvrError::NoStart(_) => "ivr_no_start",
            IvrError::UnknownTarget { .. } => "ivr_unknown_target",
            IvrError::Unreachable(_) => "ivr_unreachable",
            IvrError::DeadEnd(_) => "ivr_dead_end",
            IvrError::EndlessLoop(_) => "ivr_endless_loop",
            IvrError::EmptyMenu(_) => "ivr_empty_menu",
            IvrError::MenuKey { .. } => "ivr_menu_key",
            IvrError::Timeout(_) => "ivr_timeout",
            IvrError::Retries(_) => "ivr_retries",
            IvrError::Digits(_) => "ivr_digits",
            IvrError::Prompt(_) => "ivr_prompt",
            IvrError::Hours(_) => "ivr_hours",
        }
    }

    /// The node the problem is at, for the editor to point at.
    pub fn node(&self) -> Option<&str> {
        match self {
            IvrError::Name | IvrError::NodeCount | IvrError::EndlessLoop(_) => None,
            IvrError::NodeId(n)
            | IvrError::DuplicateNode(n)
            | IvrError::NoStart(n)
            | IvrError::Unreachable(n)
            | IvrError::DeadEnd(n)
            | IvrError::EmptyMenu(n)
            | IvrError::Timeout(n)
            | IvrError::Retries(n)
            | IvrError::Digits(n)
            | IvrError::Prompt(n)
            | IvrError::Hours(n) => Some(n),
            IvrError::UnknownTarget { from, .. } => Some(from),
            IvrError::MenuKey { node, .. } => Some(node),
        }
    }
}

impl Action {
    /// The nodes this one can lead to.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            Action::Play { next, .. } => vec![next],
            Action::Menu {
                options, fallback, ..
            } => options
                .iter()
                .map(|o| o.next.as_str())
                .chain([fallback.as_str()])
                .collect(),
            Action::Collect { fallback, .. } => vec![fallback],
            Action::Hours { open, closed, .. } => vec![open, closed],
            Action::Route { .. } | Action::HangUp { .. } => Vec::new(),
        }
    }

    /// Whether the call can end here (handed over or hung up). A
    /// collection ends in the extension's user or group when one is keyed.
    fn ends(&self) -> bool {
        matches!(
            self,
            Action::Route { .. } | Action::HangUp { .. } | Action::Collect { .. }
        )
    }

    /// Whether the node waits for the caller (bounded by its retries).
    fn waits(&self) -> bool {
        matches!(self, Action::Menu { .. } | Action::Collect { .. })
    }

    /// The prompts the node can play (the invalid-key prompt too).
    pub fn prompts(&self) -> Vec<&Prompt> {
        match self {
            Action::Play { prompt, .. } => vec![prompt],
            Action::Menu {
                prompt, invalid, ..
            }
            | Action::Collect {
                prompt, invalid, ..
            } => [Some(prompt), invalid.as_ref()]
                .into_iter()
                .flatten()
                .collect(),
            Action::HangUp { prompt } => prompt.iter().collect(),
            Action::Hours { .. } | Action::Route { .. } => Vec::new(),
        }
    }
}

fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn valid_prompt(p: &Prompt) -> bool {
    match p {
        Prompt::Tts { text } => {
            let n = text.trim().chars().count();
            (1..=PROMPT_CHARS).contains(&n)
        }
        Prompt::Audio { id } => !id.trim().is_empty(),
    }
}

impl Scenario {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Checks the scenario on its own (the first problem found).
    pub fn validate(&self) -> Result<(), IvrError> {
        let name = self.name.trim().chars().count();
        if !(1..=NAME_CHARS).contains(&name) {
            return Err(IvrError::Name);
        }
        if self.nodes.is_empty() || self.nodes.len() > MAX_NODES {
            return Err(IvrError::NodeCount);
        }
        let mut seen = BTreeSet::new();
        for n in &self.nodes {
            if !valid_id(&n.id) {
                return Err(IvrError::NodeId(n.id.clone()));
            }
            if !seen.insert(n.id.as_str()) {
                return Err(IvrError::DuplicateNode(n.id.clone()));
            }
        }
        if !seen.contains(self.start.as_str()) {
            return Err(IvrError::NoStart(self.start.clone()));
        }
        for n in &self.nodes {
            self.check_node(n, &seen)?;
        }
        self.check_graph()
    }

    fn check_node(&self, n: &Node, ids: &BTreeSet<&str>) -> Result<(), IvrError> {
        let id = || n.id.clone();
        for to in n.action.targets() {
            if !ids.contains(to) {
                return Err(IvrError::UnknownTarget {
                    from: id(),
                    to: to.to_owned(),
                });
            }
        }
        if n.action.prompts().into_iter().any(|p| !valid_prompt(p)) {
            return Err(IvrError::Prompt(id()));
        }
        match &n.action {
            Action::Menu {
                options,
                timeout_secs,
                retries,
                ..
            } => {
                if options.is_empty() {
                    return Err(IvrError::EmptyMenu(id()));
                }
                let mut keys = BTreeSet::new();
                for o in options {
                    if !KEYS.contains(o.key) || !keys.insert(o.key) {
                        return Err(IvrError::MenuKey {
                            node: id(),
                            key: o.key,
                        });
                    }
                }
                self.check_wait(n, *timeout_secs, *retries)?;
            }
            Action::Collect {
                max_digits,
                timeout_secs,
                retries,
                ..
            } => {
                if !DIGITS.contains(max_digits) {
                    return Err(IvrError::Digits(id()));
                }
                self.check_wait(n, *timeout_secs, *retries)?;
            }
            Action::Hours { hours, .. } => {
                hours.validate().map_err(|_| IvrError::Hours(id()))?;
            }
            Action::Play { .. } | Action::Route { .. } | Action::HangUp { .. } => {}
        }
        Ok(())
    }

    fn check_wait(&self, n: &Node, timeout: u32, retries: u32) -> Result<(), IvrError> {
        if !TIMEOUT_SECS.contains(&timeout) {
            return Err(IvrError::Timeout(n.id.clone()));
        }
        if retries > MAX_RETRIES {
            return Err(IvrError::Retries(n.id.clone()));
        }
        Ok(())
    }

    /// Reachability from the start, a way out from every node, and no loop
    /// that never waits for the caller.
    fn check_graph(&self) -> Result<(), IvrError> {
        let edges: HashMap<&str, Vec<&str>> = self
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.action.targets()))
            .collect();
        // Reachable from the start.
        let mut reached = BTreeSet::from([self.start.as_str()]);
        let mut todo = vec![self.start.as_str()];
        while let Some(n) = todo.pop() {
            for &to in edges.get(n).into_iter().flatten() {
                if reached.insert(to) {
                    todo.push(to);
                }
            }
        }
        if let Some(n) = self.nodes.iter().find(|n| !reached.contains(n.id.as_str())) {
            return Err(IvrError::Unreachable(n.id.clone()));
        }
        // Can end: the nodes from which an ending node is reachable, found
        // backwards from the ending ones.
        let mut can_end: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|n| n.action.ends())
            .map(|n| n.id.as_str())
            .collect();
        loop {
            let before = can_end.len();
            for n in &self.nodes {
                if n.action.targets().iter().any(|t| can_end.contains(t)) {
                    can_end.insert(n.id.as_str());
                }
            }
            if can_end.len() == before {
                break;
            }
        }
        if let Some(n) = self.nodes.iter().find(|n| !can_end.contains(n.id.as_str())) {
            return Err(IvrError::DeadEnd(n.id.clone()));
        }
        // Among the nodes that do not wait, no cycle (Kahn's algorithm:
        // whatever cannot be peeled off lies on or behind a cycle).
        let quick: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|n| !n.action.waits())
            .map(|n| n.id.as_str())
            .collect();
        let mut incoming: HashMap<&str, usize> = quick.iter().map(|&n| (n, 0)).collect();
        for &n in &quick {
            for &to in &edges[n] {
                if let Some(c) = incoming.get_mut(to) {
                    *c += 1;
                }
            }
        }
        let mut free: Vec<&str> = incoming
            .iter()
            .filter(|(_, c)| **c == 0)
            .map(|(n, _)| *n)
            .collect();
        let mut peeled = 0;
        while let Some(n) = free.pop() {
            peeled += 1;
            for &to in &edges[n] {
                if let Some(c) = incoming.get_mut(to) {
                    *c -= 1;
                    if *c == 0 {
                        free.push(to);
                    }
                }
            }
        }
        if peeled < quick.len() {
            let mut looping: Vec<String> = incoming
                .into_iter()
                .filter(|(_, c)| *c > 0)
                .map(|(n, _)| n.to_owned())
                .collect();
            looping.sort();
            return Err(IvrError::EndlessLoop(looping));
        }
        Ok(())
    }
}
