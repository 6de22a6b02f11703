//! Integration tests of nuntius-dates, compiled into one binary: text, metadata, URLs, properties.

mod meta;
mod props;
mod text;
mod url;
