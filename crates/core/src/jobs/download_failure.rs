//! A run that failed because a custom node could not download its checkpoint on first use
//! (`model_download_failed`): the comfy crate recognises the failure but cannot know which file
//! it was; the template's manifest lists the files its custom nodes fetch (`auto_models`), so
//! the message names the file and the folder the operator must pre-seed.

use animatrix_comfy::model::ExecutionErrorData;
use animatrix_common::{ErrorCode, UserError};
use animatrix_workflow::Manifest;
use animatrix_workflow::manifest::AutoModel;

/// `err` with the file(s) named, when it is a download failure and the manifest knows them.
pub fn name_the_download(
    mut err: UserError,
    failed: &ExecutionErrorData,
    manifest: &Manifest,
) -> UserError {
    if err.code != ErrorCode::ModelDownloadFailed || manifest.auto_models.is_empty() {
        return err;
    }
    let named = candidates(failed, &manifest.auto_models);
    let files = named
        .iter()
        .map(|a| format!("{} (into {})", a.file, a.folder))
        .collect::<Vec<_>>()
        .join(", ");
    err.message = if named.len() == 1 {
        format!(
            "The server could not download {} on first use (step {}); it may have no internet access.",
            named[0].file, failed.node_type
        )
    } else {
        format!(
            "The server could not download a model file on first use (step {}); it may have no internet access.",
            failed.node_type
        )
    };
    err.suggestion = format!(
        "Ask the server operator to pre-seed {files} on the server, or allow it to reach Hugging Face."
    );
    err
}

/// The manifest's auto models the failed step downloads: those whose note names the node class
/// or whose file name appears in the error; every one of them when nothing matches.
fn candidates<'m>(failed: &ExecutionErrorData, all: &'m [AutoModel]) -> Vec<&'m AutoModel> {
    let text = format!(
        "{}\n{}",
        failed.exception_message,
        failed.traceback.concat()
    );
    let by_file: Vec<_> = all.iter().filter(|a| text.contains(&a.file)).collect();
    if !by_file.is_empty() {
        return by_file;
    }
    let class = format!("({}", failed.node_type);
    let by_node: Vec<_> = all.iter().filter(|a| a.note.contains(&class)).collect();
    if by_node.is_empty() {
        all.iter().collect()
    } else {
        by_node
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(file: &str, note: &str) -> AutoModel {
        AutoModel {
            file: file.into(),
            folder: format!("ckpts/{file}"),
            note: note.into(),
        }
    }

    fn failure(node_type: &str, message: &str) -> ExecutionErrorData {
        serde_json::from_value(serde_json::json!({
            "prompt_id": "p", "node_id": "7", "node_type": node_type,
            "executed": [], "exception_message": message,
            "exception_type": "huggingface_hub.errors.LocalEntryNotFoundError",
            "traceback": [], "current_inputs": {}, "current_outputs": {}
        }))
        .expect("execution error")
    }

    #[test]
    fn the_failed_step_names_its_own_file() {
        let all = [
            model("yolox_l.onnx", "downloaded by x (DWPreprocessor bbox)"),
            model(
                "depth.pth",
                "downloaded by x (DepthAnythingV2Preprocessor) on first use",
            ),
        ];
        let f = failure(
            "DepthAnythingV2Preprocessor",
            "cannot find the requested files",
        );
        assert_eq!(candidates(&f, &all), vec![&all[1]]);
        let f = failure("Other", "could not fetch yolox_l.onnx");
        assert_eq!(candidates(&f, &all), vec![&all[0]]);
        let f = failure("Other", "offline");
        assert_eq!(candidates(&f, &all).len(), 2);
    }
}
