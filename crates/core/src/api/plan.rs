//! Planning a request without running it: what Generate would produce (size, frames, segments,
//! seconds, the profile's variant) and every issue that stops it, in user language, with the
//! control at fault. The composer calls this as the user edits (debounced); submit runs the
//! same planner, so the two never disagree.

use animatrix_workflow::{IssueField, Plan, PlanIssue};

use super::Studio;
use crate::CoreError;
use crate::assets::{self, AssetRecord};
use crate::jobs::{InputSource, JobInputRecord, JobRequest, Role};

impl Studio {
    pub async fn plan(&self, request: JobRequest) -> Result<Plan, CoreError> {
        let studio = self.clone();
        crate::store::off_thread(move || studio.plan_blocking(&request)).await
    }

    fn plan_blocking(&self, req: &JobRequest) -> Result<Plan, CoreError> {
        let template = crate::jobs::template_for(self.engine().catalog(), req)?;
        let mut unreadable = Vec::new();
        let mut inputs = Vec::new();
        for (position, input) in req.inputs.iter().enumerate() {
            match self.asset_facts(&input.source, &input.role) {
                Ok(asset) => inputs.push(JobInputRecord {
                    role: input.role.clone(),
                    position: position as i64,
                    uploaded_name: None,
                    asset,
                }),
                Err(e) => unreadable.push(PlanIssue {
                    field: IssueField::input(input.role.as_str()),
                    ..issue_of(e)
                }),
            }
        }
        let mut settings = req.settings.clone();
        settings.media = crate::jobs::driving_media_facts(template, &inputs);
        let attached = crate::jobs::attached(inputs.iter().map(|i| (&i.role, &i.asset)));
        let mut plan = animatrix_workflow::plan(template, &settings, &attached, None);
        // A file that cannot be read is the first thing to fix.
        unreadable.append(&mut plan.issues);
        plan.issues = unreadable;
        Ok(plan)
    }

    /// The stored facts of an input: assets already imported by the composer; files are
    /// probed, not imported.
    fn asset_facts(&self, source: &InputSource, role: &Role) -> Result<AssetRecord, CoreError> {
        match source {
            InputSource::Asset(id) => self.db().read_blocking(|c| assets::get(c, id)),
            InputSource::File(path) => {
                let facts = animatrix_media::probe(path, &animatrix_media::Limits::default())?;
                Ok(assets::from_probe(path, role.as_str(), &facts))
            }
        }
    }
}

fn issue_of(e: CoreError) -> PlanIssue {
    let u = animatrix_common::Explain::explain(&e);
    PlanIssue {
        code: u.code,
        field: IssueField::Template,
        message: u.message,
        suggestion: u.suggestion,
    }
}
