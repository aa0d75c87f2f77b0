//! The job repository: every SQL statement on `jobs`, `job_inputs`, `outputs` and `job_events`
//! lives in this module (demo-pack import included), mapped to the one model in
//! [`crate::jobs::model`] by column name. Callers hand in a connection from [`crate::store::Db`].
//!
//! Every state change and its event are written in one transaction, so the history never
//! disagrees with the job's state.

mod events;
mod inputs;
mod jobs;
mod outputs;
mod query;
mod routing;

pub(crate) use events::insert_event;
pub use events::{add_event, events};
pub(crate) use inputs::insert_input;
pub use inputs::{inputs, set_uploaded_name};
pub use jobs::{
    demo_run_with_video, exists, fail, find_by_prompt_id, get, insert, insert_imported,
    non_terminal, prompt_id_taken, request_cancel, resolve_id, revivable, revive, set_progress,
    transition,
};
pub use outputs::{add_output, outputs};
pub use query::{Cursor, DEFAULT_PAGE, JobPage, JobQuery, fts_query, list};
pub use routing::{assign_member, parent_endpoint, routed_not_posted};

#[cfg(test)]
pub(crate) mod tests;
