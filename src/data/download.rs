//! Downloading MNIST from public mirrors, tried in turn; every file verified before it is kept.
//!
//! Verification of each file: the gzip stream decodes to the end (its CRC-32 and length
//! trailer match), the IDX header has the right type and shape (images `(N, 28, 28)`,
//! labels `(N,)` with values 0..=9), and, for the built-in mirrors, `N` is 60000 (train) or
//! 10000 (test). For the mirrors for which torchvision publishes MD5 checksums (the
//! `ossci-datasets` S3 copy and Yann LeCun's original site) the MD5 must match too. For the
//! Google Cloud copy no checksum is published, so it is verified structurally only (plus
//! the sizes). The MD5 values were not re-checked against a download here (no network on the
//! machine this was written on); a mismatch makes dlfs reject the file and try the next mirror.
//!
//! A file is written only after it passed verification, through a temporary file in the
//! same directory and a rename, so no partial or bad file ever sits under its final name.
//!
//! To stay quick offline, the mirrors' hosts are first probed in parallel with a 2 s limit;
//! when none answers, [`DataError::NoNetwork`] comes back at once.

use std::path::Path;

use super::error::DataError;
use super::idx::{self, IdxError};

/// A place to download the four MNIST files from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// URL that the file names are appended to (ends with `/`).
    pub base_url: String,
    /// Check the MD5 checksums published for the original files.
    pub md5: bool,
    /// Require the published sizes: 60000 training and 10000 test examples.
    pub full_size: bool,
}

impl Mirror {
    /// A mirror checked only structurally (gzip, IDX header, 28x28 images, labels 0..=9).
    pub fn structural(base_url: impl Into<String>) -> Self {
        let mut base_url = base_url.into();
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Mirror {
            base_url,
            md5: false,
            full_size: false,
        }
    }
}

/// The built-in MNIST mirrors, in the order they are tried.
pub fn default_mirrors() -> Vec<Mirror> {
    vec![
        Mirror {
            base_url: "https://ossci-datasets.s3.amazonaws.com/mnist/".into(),
            md5: true,
            full_size: true,
        },
        Mirror {
            base_url: "https://storage.googleapis.com/cvdf-datasets/mnist/".into(),
            md5: false,
            full_size: true,
        },
        Mirror {
            base_url: "http://yann.lecun.com/exdb/mnist/".into(),
            md5: true,
            full_size: true,
        },
    ]
}

/// MD5 of the original gzip files, as published with torchvision's MNIST data set.
pub const MNIST_MD5: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ),
];

/// Downloads the MNIST files missing from `dir` (creating it), each verified and written
/// atomically. Returns the mirrors the files came from.
///
/// # Errors
/// [`DataError::NoNetwork`] when no mirror host answers; [`DataError::Verification`] or
/// [`DataError::Interrupted`] when the only mirror gave a bad or partial file;
/// [`DataError::DownloadFailed`] listing every attempt when several mirrors failed.
pub fn download_mnist(
    dir: &Path,
    mirrors: &[Mirror],
    progress: bool,
) -> Result<Vec<String>, DataError> {
    #[cfg(feature = "download")]
    {
        net::download_mnist(dir, mirrors, progress)
    }
    #[cfg(not(feature = "download"))]
    {
        let _ = (dir, mirrors, progress);
        Err(DataError::DownloadDisabled {
            reason: "dlfs was built without its `download` feature".into(),
        })
    }
}

#[cfg(feature = "download")]
mod net {
    use std::io::{Read, Write};
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::super::{MNIST_FILES, write_atomic};
    use super::{DataError, Mirror, verify};

    /// No MNIST file is near this size; a larger body is refused.
    const MAX_DOWNLOAD: u64 = 64 << 20;
    const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

    pub(super) fn download_mnist(
        dir: &Path,
        mirrors: &[Mirror],
        progress: bool,
    ) -> Result<Vec<String>, DataError> {
        if mirrors.is_empty() {
            return Err(DataError::DownloadDisabled {
                reason: "no mirrors configured".into(),
            });
        }
        let reachable = probe(mirrors)?;
        std::fs::create_dir_all(dir).map_err(|source| DataError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let agent = agent();
        let mut used: Vec<String> = Vec::new();
        for file in MNIST_FILES {
            let gz = format!("{file}.gz");
            if dir.join(&gz).exists() || dir.join(file).exists() {
                continue;
            }
            let mut errors: Vec<DataError> = Vec::new();
            let mut all_network = true;
            let mut done = false;
            for m in &reachable {
                let url = format!("{}{}", m.base_url, gz);
                let result = fetch(&agent, &url, progress).and_then(|bytes| {
                    verify(&gz, &bytes, m).map_err(|reason| DataError::Verification {
                        url: url.clone(),
                        reason,
                    })?;
                    Ok(bytes)
                });
                match result {
                    Ok(bytes) => {
                        write_atomic(&dir.join(&gz), &bytes)?;
                        if !used.contains(&m.base_url) {
                            used.push(m.base_url.clone());
                        }
                        done = true;
                        break;
                    }
                    Err(e) => {
                        if progress {
                            println!("dlfs: {e}");
                        }
                        all_network &= e.is_network();
                        errors.push(e);
                    }
                }
            }
            if !done {
                if all_network {
                    let details = errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Err(DataError::NoNetwork { details });
                }
                if errors.len() == 1 {
                    return Err(errors.remove(0));
                }
                return Err(DataError::DownloadFailed {
                    file: gz,
                    attempts: errors.iter().map(|e| e.to_string()).collect(),
                });
            }
        }
        Ok(used)
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .timeout_resolve(Some(Duration::from_secs(2)))
            .timeout_connect(Some(Duration::from_secs(3)))
            .timeout_per_read(Some(Duration::from_secs(30)))
            .user_agent(concat!("dlfs/", env!("CARGO_PKG_VERSION")))
            .build()
            .into()
    }

    /// Keeps the mirrors whose host accepts a TCP connection within [`PROBE_TIMEOUT`], probed in
    /// parallel. With a proxy configured in the environment, all mirrors are kept.
    fn probe(mirrors: &[Mirror]) -> Result<Vec<Mirror>, DataError> {
        let proxied = [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        if proxied {
            return Ok(mirrors.to_vec());
        }
        let (tx, rx) = mpsc::channel();
        for (i, m) in mirrors.iter().enumerate() {
            let tx = tx.clone();
            let target = host_port(&m.base_url);
            std::thread::spawn(move || {
                let res = match target {
                    Some(hp) => connect(&hp),
                    None => Err("cannot read host from URL".to_string()),
                };
                let _ = tx.send((i, res));
            });
        }
        drop(tx);
        let deadline = Instant::now() + PROBE_TIMEOUT;
        let mut ok = vec![false; mirrors.len()];
        let mut why: Vec<Option<String>> = vec![None; mirrors.len()];
        for _ in 0..mirrors.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((i, Ok(()))) => ok[i] = true,
                Ok((i, Err(e))) => why[i] = Some(e),
                Err(_) => break,
            }
        }
        let reachable: Vec<Mirror> = mirrors
            .iter()
            .zip(&ok)
            .filter(|(_, ok)| **ok)
            .map(|(m, _)| m.clone())
            .collect();
        if reachable.is_empty() {
            let details = mirrors
                .iter()
                .zip(&why)
                .map(|(m, w)| {
                    w.clone().unwrap_or_else(|| {
                        format!("{}: no answer within {PROBE_TIMEOUT:?}", m.base_url)
                    })
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(DataError::NoNetwork { details });
        }
        Ok(reachable)
    }

    fn connect(host_port: &str) -> Result<(), String> {
        use std::net::{TcpStream, ToSocketAddrs};
        let addrs = host_port
            .to_socket_addrs()
            .map_err(|_| format!("{host_port}: DNS lookup failed"))?;
        let mut last = format!("{host_port}: no address");
        for a in addrs {
            match TcpStream::connect_timeout(&a, PROBE_TIMEOUT) {
                Ok(_) => return Ok(()),
                Err(e) => last = format!("{host_port}: connecting to {a} failed ({e})"),
            }
        }
        Err(last)
    }

    /// `"https://host:port/path"` -> `"host:port"` (default port from the scheme).
    pub(super) fn host_port(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let authority = rest.split('/').next()?;
        if authority.is_empty() {
            return None;
        }
        if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            Some(authority.to_string())
        } else {
            Some(format!("{authority}:{port}"))
        }
    }

    /// GETs `url` into memory, printing progress in 10% steps on one stdout line.
    fn fetch(agent: &ureq::Agent, url: &str, progress: bool) -> Result<Vec<u8>, DataError> {
        let resp = agent.get(url).call().map_err(|e| match e {
            ureq::Error::StatusCode(code) => DataError::DownloadFailed {
                file: url.to_string(),
                attempts: vec![format!("server answered HTTP {code}")],
            },
            ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed => DataError::NoNetwork {
                details: format!("{url}: {e}"),
            },
            other => DataError::DownloadFailed {
                file: url.to_string(),
                attempts: vec![other.to_string()],
            },
        })?;
        let length: Option<u64> = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse().ok());
        if length.is_some_and(|n| n > MAX_DOWNLOAD) {
            return Err(DataError::Verification {
                url: url.into(),
                reason: format!(
                    "server announces {} bytes, more than any MNIST file",
                    length.unwrap_or(0)
                ),
            });
        }
        if progress {
            let size = length
                .map(|n| format!(" ({:.1} MB)", n as f64 / 1e6))
                .unwrap_or_default();
            print!("dlfs: downloading {url}{size}:");
        }
        let mut reader = resp.into_body().into_reader();
        let mut bytes = Vec::with_capacity(length.unwrap_or(1 << 20) as usize);
        let mut buf = vec![0u8; 64 << 10];
        let mut shown = 0u64;
        let interrupted = |received: u64| DataError::Interrupted {
            url: url.into(),
            received,
            expected: length.map_or("an unknown number of".into(), |n| n.to_string()),
        };
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    if progress {
                        println!(" cut off");
                    }
                    return Err(interrupted(bytes.len() as u64));
                }
            };
            bytes.extend_from_slice(&buf[..n]);
            if bytes.len() as u64 > MAX_DOWNLOAD {
                return Err(DataError::Verification {
                    url: url.into(),
                    reason: format!("body is larger than {MAX_DOWNLOAD} bytes"),
                });
            }
            if progress && let Some(total) = length.filter(|&t| t > 0) {
                let pct = bytes.len() as u64 * 100 / total / 10 * 10;
                while shown < pct {
                    shown += 10;
                    print!(" {shown}%");
                }
                let _ = std::io::stdout().flush();
            }
        }
        if length.is_some_and(|n| (bytes.len() as u64) < n) {
            if progress {
                println!(" cut off");
            }
            return Err(interrupted(bytes.len() as u64));
        }
        if progress {
            println!(" done");
        }
        Ok(bytes)
    }
}

#[cfg_attr(not(feature = "download"), allow(dead_code))]
fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks one downloaded `.gz` file; returns the reason it is bad.
#[cfg_attr(not(feature = "download"), allow(dead_code))]
pub(crate) fn verify(name: &str, bytes: &[u8], mirror: &Mirror) -> Result<(), String> {
    if mirror.md5
        && let Some((_, want)) = MNIST_MD5.iter().find(|(n, _)| *n == name)
    {
        let got = md5_hex(bytes);
        if got != *want {
            return Err(format!("MD5 {got} differs from the published {want}"));
        }
    }
    if !idx::is_gzip(bytes) {
        return Err("not a gzip file".into());
    }
    let parsed = idx::decode_idx(bytes).map_err(|e: IdxError| e.to_string())?;
    let is_images = name.contains("images");
    let expected_n = if name.starts_with("train") {
        60_000
    } else {
        10_000
    };
    let n = parsed.dims.first().copied().unwrap_or(0);
    if is_images {
        if parsed.dims.len() != 3 || parsed.dims[1] != 28 || parsed.dims[2] != 28 {
            return Err(format!(
                "image file has shape {:?}, expected (N, 28, 28)",
                parsed.dims
            ));
        }
    } else {
        if parsed.dims.len() != 1 {
            return Err(format!(
                "label file has shape {:?}, expected (N,)",
                parsed.dims
            ));
        }
        if let Some((i, v)) = parsed.data.iter().enumerate().find(|(_, v)| **v > 9) {
            return Err(format!("label #{i} is {v}, not a class 0..=9"));
        }
    }
    if mirror.full_size && n != expected_n {
        return Err(format!("{n} examples, the published file has {expected_n}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "download")]
    #[test]
    fn host_port_from_urls() {
        use net::host_port;
        assert_eq!(host_port("https://a.b/c/").as_deref(), Some("a.b:443"));
        assert_eq!(host_port("http://a.b/").as_deref(), Some("a.b:80"));
        assert_eq!(
            host_port("http://127.0.0.1:8080/x/").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host_port("ftp://a.b/"), None);
        assert_eq!(host_port("http:///"), None);
    }

    #[test]
    fn md5_of_known_input() {
        // RFC 1321 test suite: MD5("abc").
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
