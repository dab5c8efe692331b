//! The document upload's memory: a large file is streamed to the server (generated on the
//! fly, so the bench holds one chunk at a time) and the server's resident memory is read
//! from `/proc/<pid>/status` before and after, and after downloading it again.

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use reqwest::Client;
use reqwest::multipart::{Form, Part};

use crate::server::{Memory, ServerProcess};

const CHUNK: usize = 1024 * 1024;

/// What the server's memory did around one upload and one download of `mb` MiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct UploadMemory {
    pub file_mb: u64,
    pub before: Memory,
    pub after_upload: Memory,
    pub after_download: Memory,
    pub upload_s: f64,
    pub download_s: f64,
}

/// A PDF-looking body of `total` bytes, made chunk by chunk.
fn body(total: usize) -> reqwest::Body {
    let chunks = total.div_ceil(CHUNK);
    let stream = futures_stream(chunks, total);
    reqwest::Body::wrap_stream(stream)
}

fn futures_stream(
    chunks: usize,
    total: usize,
) -> impl futures_core_stream::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_core_stream::iter((0..chunks).map(move |i| {
        let len = CHUNK.min(total - i * CHUNK);
        let mut chunk = vec![b' '; len];
        if i == 0 {
            let head = b"%PDF-1.7\n";
            chunk[..head.len()].copy_from_slice(head);
        }
        Ok(Bytes::from(chunk))
    }))
}

/// futures' `stream::iter`, without the futures crate (reqwest brings `futures-core`).
mod futures_core_stream {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub use futures_core::Stream;

    pub struct Iter<I>(I);

    pub fn iter<I: Iterator>(items: I) -> Iter<I> {
        Iter(items)
    }

    impl<I: Iterator + Unpin> Stream for Iter<I> {
        type Item = I::Item;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
            Poll::Ready(self.0.next())
        }
    }
}

pub async fn measure(
    client: &Client,
    base: &str,
    server: &ServerProcess,
    mb: u64,
) -> Result<UploadMemory> {
    let rows: serde_json::Value = client
        .get(format!("{base}/api/assignments?limit=1"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let Some(id) = rows.get(0).and_then(|r| r["id"].as_i64()) else {
        bail!("the server has no assignment to attach a document to");
    };
    let total = usize::try_from(mb)? * CHUNK;
    let before = server.memory()?;
    let started = std::time::Instant::now();
    let part = Part::stream_with_length(body(total), total as u64)
        .file_name("large.pdf")
        .mime_str("application/pdf")?;
    let response = client
        .post(format!("{base}/api/assignments/{id}/documents/upload"))
        .multipart(Form::new().part("file", part))
        .send()
        .await?;
    if response.status() != 201 {
        bail!(
            "upload answered {}: {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    let upload_s = started.elapsed().as_secs_f64();
    let document: serde_json::Value = response.json().await?;
    let after_upload = server.memory()?;
    let started = std::time::Instant::now();
    let mut download = client
        .get(format!(
            "{base}/api/assignments/{id}/documents/{}/download",
            document["id"]
        ))
        .send()
        .await?
        .error_for_status()?;
    let mut received = 0usize;
    while let Some(chunk) = download.chunk().await.context("reading the download")? {
        received += chunk.len();
    }
    if received != total {
        bail!("downloaded {received} bytes of {total}");
    }
    let download_s = started.elapsed().as_secs_f64();
    Ok(UploadMemory {
        file_mb: mb,
        before,
        after_upload,
        after_download: server.memory()?,
        upload_s,
        download_s,
    })
}
