//! Course structures on the catalog's table (layout in [`crate::keys`]). A structure's JSON
//! (up to 8 MiB) is compressed (zlib) and cut into chunk items of at most [`CHUNK_BYTES`],
//! under one partition per course with a head item that names the chunk set in force:
//! `version` (grows by one on every put and delete), `digest` (of the compressed bytes;
//! absent once the structure is deleted), `chunks` and `bytes`.
//!
//! A put reads the head (version `v`), writes its chunks as version `v + 1`, then puts the
//! head on condition that it is still at `v`. Chunks are written before any head names them,
//! so a reader that found a head finds its chunks, unless a later writer has swept them
//! since: the reader then reads the new head and its chunks. A writer whose head write loses
//! (another got there first) starts over from the new head. The writer whose head went in
//! then deletes every chunk of version `<= v + 1` but its own: each belongs to a head it
//! replaced, or to a writer that read a head older than `v + 1`, whose conditional head
//! write must fail. Two writers of the same version and digest write the same chunks. A
//! writer that died between its chunks and its head leaves chunks the next put sweeps.
//!
//! A delete writes a head without a digest (so versions keep growing) and sweeps likewise.
//! Reads are consistent; the digest is checked on every read.

use std::io::{Read, Write};

use async_trait::async_trait;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use pokeco_core::catalog::CourseId;
use pokeco_core::store::{StoreError, StoreResult};
use pokeco_core::structure::{CourseStructure, StructureStore, MAX_STRUCTURE_BYTES};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::errors::{condition_failed, failed};
use crate::items::{from_item, key, string_attr, to_item, Item};
use crate::keys;
use crate::pipeline::{delete_request, put_request};
use crate::DynamoStore;

/// The most compressed bytes one chunk item holds: an item is at most 400 KB (409,600 bytes,
/// names and values); the rest is left for its keys and DynamoDB's accounting.
pub const CHUNK_BYTES: usize = 350_000;
/// How often a put or delete starts over when another write moved the head first.
const WRITE_ATTEMPTS: u32 = 5;
/// How often a read starts over when a write swept the chunks it was reading.
const READ_ATTEMPTS: u32 = 5;
/// The chunk items' attribute that holds their bytes.
const DATA: &str = "data";

/// The head of a course's structure partition.
#[derive(Debug, Serialize, Deserialize)]
struct HeadItem {
    pk: String,
    sk: String,
    version: u64,
    /// The digest of the chunk set in force; `None` once the structure is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(default)]
    chunks: usize,
    /// Compressed bytes, all chunks together.
    #[serde(default)]
    bytes: usize,
}

fn corrupt(course: &CourseId, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("structure of {course}: {why}"))
}

/// The structure's JSON, compressed.
fn pack(structure: &CourseStructure) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_vec(structure).map_err(|e| corrupt(structure.course(), e))?;
    let mut z = ZlibEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
    z.write_all(&json)
        .and_then(|()| z.finish())
        .map_err(|e| corrupt(structure.course(), e))
}

/// The JSON of compressed bytes, refused beyond what a structure may take.
fn unpack(course: &CourseId, packed: &[u8]) -> StoreResult<Vec<u8>> {
    let mut json = Vec::new();
    let limit = u64::try_from(MAX_STRUCTURE_BYTES).unwrap_or(u64::MAX) + 1;
    ZlibDecoder::new(packed)
        .take(limit)
        .read_to_end(&mut json)
        .map_err(|e| corrupt(course, e))?;
    if json.len() > MAX_STRUCTURE_BYTES {
        return Err(corrupt(course, "it inflates beyond the largest structure"));
    }
    Ok(json)
}

/// The first 128 bits of the compressed bytes' SHA-256, in hex: names a chunk set, and
/// tells a whole read from a damaged one.
fn digest(packed: &[u8]) -> String {
    Sha256::digest(packed)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn chunk_item(pk: &str, version: u64, digest: &str, n: usize, data: &[u8]) -> Item {
    let mut item = key(pk.to_owned(), &keys::chunk_sk(version, digest, n));
    item.insert(DATA.to_owned(), AttributeValue::B(Blob::new(data)));
    item
}

impl DynamoStore {
    async fn structure_head(&self, pk: &str) -> StoreResult<Option<HeadItem>> {
        let item = self
            .get_item(key(pk.to_owned(), keys::STRUCTURE_HEAD_SK))
            .await?;
        item.map(from_item).transpose()
    }

    /// Puts `head` if the head is still at version `previous` (`None`: there is no head);
    /// `false` when another write moved it first.
    async fn swap_head(&self, head: &HeadItem, previous: Option<u64>) -> StoreResult<bool> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(head)?))
            .expression_attribute_names("#pk", keys::PK);
        let put = match previous {
            None => put.condition_expression("attribute_not_exists(#pk)"),
            Some(v) => put
                .condition_expression("attribute_exists(#pk) AND #v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(failed(e)),
        }
    }

    /// Deletes the chunks of the partition of version `up_to` or lower, except those whose
    /// sort key starts with `keep` (the chunk set just put in force).
    async fn sweep_chunks(&self, pk: &str, up_to: u64, keep: Option<&str>) -> StoreResult<()> {
        let mut stale = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :chunk)")
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#sk", keys::SK)
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .expression_attribute_values(
                    ":chunk",
                    AttributeValue::S(keys::CHUNK_PREFIX.to_owned()),
                )
                .projection_expression("#sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(failed)?;
            for item in out.items.unwrap_or_default() {
                let Some(sk) = string_attr(&item, keys::SK) else {
                    continue;
                };
                let kept = keep.is_some_and(|k| sk.starts_with(k));
                if !kept && keys::chunk_version(sk).is_some_and(|v| v <= up_to) {
                    stale.push(delete_request(key(pk.to_owned(), sk))?);
                }
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        self.batch_write(stale).await
    }

    /// The chunk items of the set `head` names that exist, in chunk order.
    async fn chunks_of(&self, pk: &str, head: &HeadItem, digest: &str) -> StoreResult<Vec<Item>> {
        let keys = (0..head.chunks)
            .map(|n| key(pk.to_owned(), &keys::chunk_sk(head.version, digest, n)))
            .collect();
        let mut items = self.batch_get(keys).await?;
        items.sort_by(|a, b| string_attr(a, keys::SK).cmp(&string_attr(b, keys::SK)));
        Ok(items)
    }
}

#[async_trait]
impl StructureStore for DynamoStore {
    async fn put_structure(&self, structure: &CourseStructure) -> StoreResult<bool> {
        let packed = pack(structure)?;
        let digest = digest(&packed);
        let pk = keys::structure_pk(structure.course());
        for _ in 0..WRITE_ATTEMPTS {
            let head = self.structure_head(&pk).await?;
            let previous = head.as_ref().map(|h| h.version);
            let replaced = head.as_ref().is_some_and(|h| h.digest.is_some());
            let version = previous.unwrap_or(0) + 1;
            let chunks = packed
                .chunks(CHUNK_BYTES)
                .enumerate()
                .map(|(n, data)| put_request(chunk_item(&pk, version, &digest, n, data)))
                .collect::<StoreResult<Vec<_>>>()?;
            let count = chunks.len();
            self.batch_write(chunks).await?;
            let head = HeadItem {
                pk: pk.clone(),
                sk: keys::STRUCTURE_HEAD_SK.to_owned(),
                version,
                digest: Some(digest.clone()),
                chunks: count,
                bytes: packed.len(),
            };
            if self.swap_head(&head, previous).await? {
                // The structure is in force; an error here leaves stale chunks for the next
                // put to sweep (a retry of this put does).
                let own = keys::chunk_set_prefix(version, &digest);
                self.sweep_chunks(&pk, version, Some(&own)).await?;
                return Ok(replaced);
            }
            // Another write moved the head: its sweep, or the next one, deletes these chunks
            // (never deleted here: a writer of the same version and digest wrote the same keys).
        }
        Err(StoreError::Unavailable(format!(
            "other writes of the structure of {} kept going first; try again",
            structure.course()
        )))
    }

    async fn get_structure(&self, course: &CourseId) -> StoreResult<Option<CourseStructure>> {
        let pk = keys::structure_pk(course);
        let mut head = self.structure_head(&pk).await?;
        for _ in 0..READ_ATTEMPTS {
            let Some(h) = head else {
                return Ok(None);
            };
            let Some(expected) = h.digest.as_deref() else {
                return Ok(None);
            };
            let items = self.chunks_of(&pk, &h, expected).await?;
            if items.len() == h.chunks {
                let mut packed = Vec::with_capacity(h.bytes);
                for item in &items {
                    match item.get(DATA) {
                        Some(AttributeValue::B(b)) => packed.extend_from_slice(b.as_ref()),
                        _ => return Err(corrupt(course, "a chunk item holds no bytes")),
                    }
                }
                if digest(&packed) != expected {
                    return Err(corrupt(course, "its chunks do not match their digest"));
                }
                let json = unpack(course, &packed)?;
                let structure =
                    CourseStructure::from_json(&json).map_err(|r| corrupt(course, r))?;
                if structure.course() != course {
                    return Err(corrupt(course, format!("it is of {}", structure.course())));
                }
                return Ok(Some(structure));
            }
            // Chunks missing: a write swept them after putting a new head, unless the head is
            // still the same (then they are lost).
            let again = self.structure_head(&pk).await?;
            if again.as_ref().map(|a| a.version) == Some(h.version) {
                return Err(corrupt(
                    course,
                    format!(
                        "{} of its {} chunk items are missing",
                        h.chunks - items.len(),
                        h.chunks
                    ),
                ));
            }
            head = again;
        }
        Err(StoreError::Unavailable(format!(
            "the structure of {course} was replaced during every read; try again"
        )))
    }

    async fn delete_structure(&self, course: &CourseId) -> StoreResult<()> {
        let pk = keys::structure_pk(course);
        for _ in 0..WRITE_ATTEMPTS {
            let head = match self.structure_head(&pk).await? {
                Some(h) if h.digest.is_some() => h,
                _ => return Err(StoreError::NotFound),
            };
            let deleted = HeadItem {
                pk: pk.clone(),
                sk: keys::STRUCTURE_HEAD_SK.to_owned(),
                version: head.version + 1,
                digest: None,
                chunks: 0,
                bytes: 0,
            };
            if self.swap_head(&deleted, Some(head.version)).await? {
                return self.sweep_chunks(&pk, deleted.version, None).await;
            }
        }
        Err(StoreError::Unavailable(format!(
            "other writes of the structure of {course} kept going first; try again"
        )))
    }
}

#[cfg(test)]
mod tests {
    use pokeco_core::contract::{course_structure, large_structure};

    use super::*;

    #[test]
    fn a_structure_packs_and_unpacks_to_itself() {
        let s = course_structure("course-v1:a+b+c", 3, 4, "x");
        let packed = pack(&s).unwrap();
        let json = unpack(s.course(), &packed).unwrap();
        assert_eq!(CourseStructure::from_json(&json).unwrap(), s);
        assert_eq!(digest(&packed).len(), 32);
        assert_ne!(
            digest(&packed),
            digest(&pack(&course_structure("course-v1:a+b+c", 3, 4, "y")).unwrap())
        );
    }

    #[test]
    fn a_large_structure_takes_several_chunks_each_within_an_item() {
        let s = large_structure("course-v1:a+b+c", 3);
        let packed = pack(&s).unwrap();
        assert!(
            packed.len() > 400 * 1024,
            "{} bytes compressed",
            packed.len()
        );
        let d = digest(&packed);
        let items: Vec<Item> = packed
            .chunks(CHUNK_BYTES)
            .enumerate()
            .map(|(n, data)| chunk_item("STRUCTURE#course-v1:a+b+c", 1, &d, n, data))
            .collect();
        assert!(items.len() >= 2);
        for item in &items {
            let size: usize = item
                .iter()
                .map(|(k, v)| {
                    k.len()
                        + match v {
                            AttributeValue::S(s) => s.len(),
                            AttributeValue::B(b) => b.as_ref().len(),
                            _ => 0,
                        }
                })
                .sum();
            assert!(size < 400 * 1024, "an item of {size} bytes");
        }
    }

    #[test]
    fn a_bomb_is_corrupt_not_a_crash() {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&vec![b'{'; MAX_STRUCTURE_BYTES + 10]).unwrap();
        let packed = z.finish().unwrap();
        let course: CourseId = "a/b/c".parse().unwrap();
        let r = unpack(&course, &packed);
        assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
        assert!(matches!(
            unpack(&course, b"not zlib"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
