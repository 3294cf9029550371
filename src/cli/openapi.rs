//! `marble openapi`: print the OpenAPI document of the REST API.

use anyhow::Result;

pub fn run() -> Result<()> {
    say!("{}", marble::server::openapi().to_pretty_json()?);
    Ok(())
}
