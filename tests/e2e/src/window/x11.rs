//! The native window title, read from the X server: WebDriver only sees the page's
//! `document.title`, while the title users see is the one GTK sets on the X window.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, Window};

use super::HarnessError;

fn x11<E: std::fmt::Display>(e: E) -> HarnessError {
    HarnessError::X11(e.to_string())
}

/// Titles (`_NET_WM_NAME`, else `WM_NAME`) of every window on `display`, in tree order.
pub fn window_titles(display: &str) -> Result<Vec<String>, HarnessError> {
    let (conn, screen) = x11rb::connect(Some(display)).map_err(x11)?;
    let root = conn
        .setup()
        .roots
        .get(screen)
        .ok_or_else(|| HarnessError::X11(format!("display {display} has no screen {screen}")))?
        .root;
    let net_wm_name = conn
        .intern_atom(false, b"_NET_WM_NAME")
        .map_err(x11)?
        .reply()
        .map_err(x11)?
        .atom;
    let utf8 = conn
        .intern_atom(false, b"UTF8_STRING")
        .map_err(x11)?
        .reply()
        .map_err(x11)?
        .atom;
    let mut titles = Vec::new();
    let mut stack: Vec<Window> = vec![root];
    while let Some(window) = stack.pop() {
        let tree = conn.query_tree(window).map_err(x11)?.reply().map_err(x11)?;
        stack.extend(tree.children.iter().rev());
        for (property, kind) in [
            (net_wm_name, utf8),
            (AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()),
        ] {
            let reply = conn
                .get_property(false, window, property, kind, 0, 1024)
                .map_err(x11)?
                .reply()
                .map_err(x11)?;
            if !reply.value.is_empty() {
                titles.push(String::from_utf8_lossy(&reply.value).into_owned());
                break;
            }
        }
    }
    Ok(titles)
}
