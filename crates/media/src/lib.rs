//! animatrix-media (being built)
