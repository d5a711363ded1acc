//! A TCP proxy in front of a real LRS that can be made to fail the way LRSs do: refuse
//! connections, answer 500, or hang past the client's timeout. It fakes no LRS behaviour: in
//! `Forward` mode every byte goes to the real peer and back.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Pass through to the LRS.
    Forward = 0,
    /// Close every new connection at once (the LRS is down).
    Down = 1,
    /// Read the request, answer `500 Internal Server Error`.
    Error500 = 2,
    /// Read the request and never answer.
    Hang = 3,
}

pub struct FaultProxy {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// A proxy on a loopback port 0 to `upstream` (`host:port`), starting in `mode`.
    pub async fn start(upstream: &str, mode: Fault) -> Self {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("cannot bind the fault proxy: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("fault proxy address: {e}"),
        };
        let mode = Arc::new(AtomicU8::new(mode as u8));
        let upstream = upstream.to_owned();
        let task = tokio::spawn({
            let mode = Arc::clone(&mode);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let fault = mode.load(Ordering::SeqCst);
                    tokio::spawn(serve(client, upstream.clone(), fault));
                }
            }
        });
        Self { addr, mode, task }
    }

    /// `http://127.0.0.1:PORT` followed by `path` (the LRS's xAPI base path).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The behaviour of connections opened from now on.
    pub fn set(&self, fault: Fault) {
        self.mode.store(fault as u8, Ordering::SeqCst);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut client: TcpStream, upstream: String, fault: u8) {
    match fault {
        f if f == Fault::Forward as u8 => {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        }
        f if f == Fault::Error500 as u8 => {
            // One answer per request of a kept-alive connection.
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = client.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let answer = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nboom!";
                if client.write_all(answer.as_bytes()).await.is_err() {
                    break;
                }
            }
        }
        f if f == Fault::Hang as u8 => {
            let mut buf = vec![0u8; 1 << 16];
            while let Ok(n) = client.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        }
        _ => drop(client),
    }
}
