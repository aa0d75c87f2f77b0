//! animatrix-workflow (being built)
