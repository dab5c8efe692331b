//! A small SMTP server for tests: it speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, QUIT) to take messages and keep them, and can
//! refuse the first recipients with a temporary error.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    refusals: Arc<AtomicU32>,
}

impl SmtpSink {
    /// Listens on a random port; the first `refuse` recipients get `451`.
    pub async fn start(refuse: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Self {
            port: listener.local_addr().unwrap().port(),
            received: Arc::default(),
            refusals: Arc::new(AtomicU32::new(refuse)),
        };
        let shared = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = shared.clone();
                tokio::spawn(async move { sink.serve(stream).await });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn serve(&self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut to = Vec::new();
        if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
            return;
        }
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 sink\r\n",
                "MAIL" => {
                    to.clear();
                    b"250 OK\r\n"
                }
                "RCPT" => {
                    let refused = self
                        .refusals
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if refused {
                        b"451 4.3.0 Try again later\r\n"
                    } else {
                        let address = line
                            .split_once('<')
                            .and_then(|(_, rest)| rest.split_once('>'))
                            .map_or(String::new(), |(a, _)| a.to_owned());
                        to.push(address);
                        b"250 OK\r\n"
                    }
                }
                "DATA" => {
                    if write.write_all(b"354 Go ahead\r\n").await.is_err() {
                        return;
                    }
                    let mut data = String::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "." {
                            break;
                        }
                        data.push_str(
                            line.strip_prefix('.')
                                .filter(|_| line.starts_with(".."))
                                .unwrap_or(&line),
                        );
                        data.push('\n');
                    }
                    self.received.lock().unwrap().push(Received {
                        to: std::mem::take(&mut to),
                        data,
                    });
                    b"250 OK queued\r\n"
                }
                "RSET" | "NOOP" => b"250 OK\r\n",
                "QUIT" => {
                    let _ = write.write_all(b"221 Bye\r\n").await;
                    return;
                }
                _ => b"502 Not implemented\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}
