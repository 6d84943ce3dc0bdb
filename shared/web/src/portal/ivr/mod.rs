//! ARS 설정 (T4): the admin's IVR scenarios. A list; a scenario page that
//! draws the graph as a person reads it (from the start, each step a card
//! saying what it does, its prompt with 미리 듣기, and where each key,
//! silence or hour leads, nested under the step that first leads there);
//! a form per step (add, edit, delete) and one for the scenario's name,
//! numbers and start; recordings uploaded as WAV or MP3; JSON editing as
//! an alternative.
//!
//! Every save goes through `app::ivr::update`, which validates the whole
//! scenario: a refused step is shown again as typed with the Korean
//! reason, and nothing is stored. Pages work without JavaScript (a preview
//! link opens the WAV); htmx plays previews in the page.

mod graph;
mod prompts;
mod scenario;
mod step_fields;
mod steps;
mod wiring;

use std::collections::HashMap;

use axum::response::Response;
use domain::hunt::HuntGroup;
use domain::ivr::Scenario;
use domain::{Account, AccountId, HuntGroupId};

use super::Portal;
use super::layout::render_fail;

pub use prompts::{player, preview, upload};
pub use scenario::{create, delete, list, new_form, save_json, save_settings, show};
pub use steps::{add_node, add_node_form, delete_node, edit_node, edit_node_form};

type Fields = HashMap<String, String>;

/// The tenant's users and groups, for names in the graph and the route
/// target selects.
pub(super) struct Names {
    pub(super) people: Vec<Account>,
    pub(super) groups: Vec<HuntGroup>,
}

impl Names {
    pub(super) async fn load(app: &app::App, p: &Portal) -> Self {
        let t = &p.session.tenant;
        Self {
            people: store::repo::accounts::all(&*app.store, t)
                .await
                .unwrap_or_default(),
            groups: app::hunt::list(app, t).await.unwrap_or_default(),
        }
    }

    pub(super) fn person(&self, id: &AccountId) -> String {
        self.people
            .iter()
            .find(|a| &a.id == id)
            .map_or_else(|| "(삭제된 사용자)".to_owned(), |a| a.name.clone())
    }

    pub(super) fn group(&self, id: &HuntGroupId) -> String {
        self.groups
            .iter()
            .find(|g| &g.id == id)
            .map_or_else(|| "(삭제된 착신그룹)".to_owned(), |g| g.name.clone())
    }
}

pub(super) fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map_or("", |v| v.trim())
}

pub(super) async fn load(app: &app::App, p: &Portal, id: &str) -> Result<Scenario, Response> {
    app::ivr::get(app, &p.session.tenant, id)
        .await
        .map_err(|f| render_fail(Some(p), &f))
}
