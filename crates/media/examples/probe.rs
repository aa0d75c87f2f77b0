//! `cargo run -p animatrix-media --example probe -- FILE...`: prints the facts (or the error) as JSON.

use animatrix_common::Explain;
use animatrix_media::{Limits, probe};

fn main() {
    for arg in std::env::args().skip(1) {
        let path = std::path::Path::new(&arg);
        match probe(path, &Limits::default()) {
            Ok(facts) => println!(
                "{arg}: {}",
                serde_json::to_string(&facts).unwrap_or_default()
            ),
            Err(e) => println!(
                "{arg}: ERROR {}",
                serde_json::to_string(&e.explain()).unwrap_or_default()
            ),
        }
    }
}
