pub async fn run(
    _js: &async_nats::jetstream::Context,
    _s: &newsflow_core::config::Settings,
    _a: BenchArgs,
) -> anyhow::Result<()> {
    anyhow::bail!("todo")
}
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}
