//! animatrix-comfy (being built)
