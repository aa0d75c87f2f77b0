//! Data changes that SQL alone cannot make, run inside their schema migration's transaction.

use rusqlite::{Transaction, params};
use rusqlite_migration::{HookError, HookResult};

use crate::jobs::legacy;

/// v2: every stored request in the one model's shape, and the duration and size of every video
/// already collected (measured from its MP4 header once, here, instead of on every gallery page).
pub fn v2_hook(tx: &Transaction) -> HookResult {
    let rows: Vec<(String, String, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT id, settings_json, template_name, template_version FROM jobs")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, settings, template, version) in rows {
        let value: serde_json::Value = serde_json::from_str(&settings)
            .map_err(|e| HookError::Hook(format!("job {id}: settings are not JSON: {e}")))?;
        if legacy::is_current(&value) {
            continue;
        }
        let request = legacy::upgrade_request(value, &template, &version)
            .map_err(|e| HookError::Hook(format!("job {id}: {e}")))?;
        let text = serde_json::to_string(&request)
            .map_err(|e| HookError::Hook(format!("job {id}: {e}")))?;
        tx.execute(
            "UPDATE jobs SET settings_json = ?2 WHERE id = ?1",
            params![id, text],
        )?;
    }
    let videos: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, path FROM outputs WHERE kind = 'video'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    for (id, path) in videos {
        // A video deleted by hand keeps its row; it just has no measured length.
        let Ok(facts) = crate::jobs::clip_facts(std::path::Path::new(&path)) else {
            continue;
        };
        tx.execute(
            "UPDATE outputs SET duration_seconds = ?2, width = ?3, height = ?4 WHERE id = ?1",
            params![id, facts.seconds, facts.width, facts.height],
        )?;
    }
    Ok(())
}
