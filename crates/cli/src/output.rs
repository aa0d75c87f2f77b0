//! How results and failures are printed: human text by default, JSON with `--json`.

use serde::Serialize;

use crate::exit::Failure;

pub fn print_failure(failure: &Failure, json: bool) {
    // The log file keeps the exact cause; the console shows the rendered error below once.
    tracing::info!(code = %failure.error.code, detail = %failure.error.detail, "command failed: {}", failure.error.message);
    if json {
        match serde_json::to_string(&serde_json::json!({ "error": &failure.error })) {
            Ok(s) => eprintln!("{s}"),
            Err(_) => eprintln!("{}", failure.error),
        }
    } else {
        eprintln!("error[{}]: {}", failure.error.code, failure.error.message);
        if !failure.error.suggestion.is_empty() {
            eprintln!("  hint: {}", failure.error.suggestion);
        }
    }
}

pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: could not render JSON: {e}"),
    }
}

/// One compact JSON object on one line (JSON lines for streams and final reports).
pub fn print_json_line<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: could not render JSON: {e}"),
    }
}
