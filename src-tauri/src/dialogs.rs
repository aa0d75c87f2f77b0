//! Native open/save dialogs, shown from Rust (the web view gets no dialog permission).
//!
//! Automation: WebDriver cannot operate a native GTK dialog, so when `ANIMATRIX_DIALOG_SCRIPT`
//! names a file, each dialog instead takes the first line of that file as its answer (paths
//! separated by tabs; an empty line means the user cancelled) and removes it. The end-to-end
//! tests write that file; a normal launch never sets the variable.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

pub const SCRIPT_ENV: &str = "ANIMATRIX_DIALOG_SCRIPT";

/// File types a dialog offers: (label, extensions without the dot).
pub type Filter = (&'static str, &'static [&'static str]);

pub struct Dialogs {
    script: Option<PathBuf>,
    /// One scripted answer at a time, in order.
    lock: Mutex<()>,
}

impl Dialogs {
    pub fn from_env() -> Dialogs {
        Dialogs {
            script: std::env::var_os(SCRIPT_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            lock: Mutex::new(()),
        }
    }

    /// Files to open; empty when the user cancelled. Blocks: call off the main thread.
    pub fn pick<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        title: &str,
        filter: Filter,
        multiple: bool,
    ) -> Vec<PathBuf> {
        if let Some(script) = &self.script {
            let mut paths = self.scripted(script);
            if !multiple {
                paths.truncate(1);
            }
            return paths;
        }
        let dialog = app
            .dialog()
            .file()
            .set_title(title)
            .add_filter(filter.0, filter.1);
        let picked = if multiple {
            dialog.blocking_pick_files().unwrap_or_default()
        } else {
            dialog.blocking_pick_file().into_iter().collect()
        };
        picked
            .into_iter()
            .filter_map(|p| p.into_path().ok())
            .collect()
    }

    /// Where to save; `None` when the user cancelled. Blocks: call off the main thread.
    pub fn save<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        title: &str,
        filter: Filter,
        suggested_name: &str,
    ) -> Option<PathBuf> {
        if let Some(script) = &self.script {
            return self.scripted(script).into_iter().next();
        }
        app.dialog()
            .file()
            .set_title(title)
            .add_filter(filter.0, filter.1)
            .set_file_name(suggested_name)
            .blocking_save_file()
            .and_then(|p| p.into_path().ok())
    }

    fn scripted(&self, script: &Path) -> Vec<PathBuf> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = std::fs::read_to_string(script).unwrap_or_default();
        let mut lines = text.lines();
        let answer = lines.next().unwrap_or_default().to_string();
        let rest: Vec<&str> = lines.collect();
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!("{}\n", rest.join("\n"))
        };
        if let Err(e) = std::fs::write(script, rest) {
            tracing::warn!(error = %e, "dialog script could not be advanced");
        }
        tracing::info!(answer = %answer, "scripted dialog answered");
        answer
            .split('\t')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_are_taken_in_order_and_an_empty_line_cancels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("answers.txt");
        std::fs::write(&script, "/a.png\t/b.png\n\n/c.mp4\n").expect("write");
        let d = Dialogs {
            script: Some(script.clone()),
            lock: Mutex::new(()),
        };
        assert_eq!(
            d.scripted(&script),
            vec![PathBuf::from("/a.png"), PathBuf::from("/b.png")]
        );
        assert!(d.scripted(&script).is_empty(), "empty line = cancelled");
        assert_eq!(d.scripted(&script), vec![PathBuf::from("/c.mp4")]);
        assert!(
            d.scripted(&script).is_empty(),
            "no answers left = cancelled"
        );
    }
}
