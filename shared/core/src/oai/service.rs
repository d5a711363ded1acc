//! Answers one OAI-PMH request: parse, consult the store through its port, render. The only
//! failure that is not an OAI-PMH `<error>` is the store's own (the caller answers it as
//! `pokeco-http` maps store errors).
//!
//! Incremental harvests: a list is frozen at its *horizon*, the first request's time less the
//! store's list lag. The store dates every later change at or after the horizon, and every
//! page of the list gives the horizon as its responseDate, so a harvester that continues
//! `from` the responseDate misses no change (README, "Incremental harvests").

use std::collections::HashSet;

use super::args::ArgsError;
use super::metadata::{write_metadata, Teachers};
use super::render::{self, TokenAttrs};
use super::request::{
    self, is_echoable_uri, ErrorCode, ListArgs, ListVerb, MetadataFormat, OaiError, OaiRequest,
};
use super::settings::OaiSettings;
use super::token::{self, TokenError, TokenState};
use super::xml::XmlWriter;
use crate::catalog::{CourseId, CourseRecord, OaiSet};
use crate::datestamp::Datestamp;
use crate::order::Position;
use crate::store::{CatalogStore, RecordQuery, StoreError};
use crate::RESPONSE_BYTE_BUDGET;

/// What every part of an answer needs: the settings, this endpoint's URL (`<request>`,
/// Identify's baseURL) and the clock.
struct Ctx<'a> {
    settings: &'a OaiSettings,
    endpoint: &'a str,
    now: Datestamp,
}

/// Why a verb did not produce its answer: an OAI-PMH error (a 200 answer of its own) or the
/// store's failure.
enum Failure {
    Oai(OaiError),
    Store(StoreError),
}

impl From<OaiError> for Failure {
    fn from(e: OaiError) -> Self {
        Self::Oai(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// A verb's result before the list verbs are paged: either a finished document, or the
/// state of a list to page (resumed when it has a position).
enum Outcome {
    Done(String),
    List(TokenState),
}

/// The answer to a request, ready to send with status 200 as `text/xml`. `endpoint` is the
/// URL the request reached (the configured base URL's `/oai`, or one built from the request).
///
/// # Errors
/// The store's error, when it failed; every protocol error is an answer.
pub async fn respond(
    store: &dyn CatalogStore,
    settings: &OaiSettings,
    endpoint: &str,
    args: Result<Vec<(String, String)>, ArgsError>,
    now: Datestamp,
) -> Result<String, StoreError> {
    let ctx = &Ctx {
        settings,
        endpoint,
        now,
    };
    let args = match args {
        Ok(args) => args,
        Err(e) => {
            let e = OaiError::new(ErrorCode::BadArgument, e.to_string());
            return Ok(error_document(ctx, None, &e, now));
        }
    };
    let echo = echoable(&args);
    let req = match request::parse(&args) {
        Ok(req) => req,
        Err(e) => return Ok(error_document(ctx, Some(&echo), &e, now)),
    };
    let outcome = match &req {
        OaiRequest::Identify => identify(store, ctx, &echo).await,
        OaiRequest::ListMetadataFormats { identifier } => {
            list_metadata_formats(store, ctx, &echo, identifier.as_deref()).await
        }
        OaiRequest::ListSets { resumption_token } => {
            list_sets(store, ctx, &echo, resumption_token.is_some()).await
        }
        OaiRequest::GetRecord { identifier, format } => {
            get_record(store, ctx, &echo, identifier, *format).await
        }
        OaiRequest::List { verb, args: list } => first_page_state(store, ctx, *verb, list)
            .await
            .map(Outcome::List),
        OaiRequest::Resume {
            verb,
            token,
            prefix,
        } => resume_state(ctx, *verb, token, prefix.as_deref())
            .map(Outcome::List)
            .map_err(Failure::from),
    };
    let answer = match outcome {
        Ok(Outcome::Done(body)) => Ok(body),
        Ok(Outcome::List(state)) => list(store, ctx, &echo, state).await,
        Err(failure) => Err(failure),
    };
    match answer {
        Ok(body) => Ok(body),
        Err(Failure::Store(e)) => Err(e),
        Err(Failure::Oai(e)) => Ok(error_document(ctx, Some(&echo), &e, now)),
    }
}

/// The arguments `<request>` may echo: all but an identifier the schema would not take as a
/// URI (the protocol's own errors decide whether anything is echoed at all).
fn echoable(args: &[(String, String)]) -> Vec<(String, String)> {
    args.iter()
        .filter(|(k, v)| k != "identifier" || is_echoable_uri(v))
        .cloned()
        .collect()
}

fn error_document(
    ctx: &Ctx<'_>,
    echo: Option<&[(String, String)]>,
    e: &OaiError,
    response_date: Datestamp,
) -> String {
    let echo = echo.filter(|_| e.code.echoes_arguments());
    render::document(ctx.endpoint, response_date, echo, 1024, |w| {
        render::error(w, e)
    })
}

type Answer = Result<Outcome, Failure>;

fn done(doc: String) -> Answer {
    Ok(Outcome::Done(doc))
}

async fn identify(store: &dyn CatalogStore, ctx: &Ctx<'_>, args: &[(String, String)]) -> Answer {
    let earliest = store.earliest_datestamp().await?;
    done(render::document(
        ctx.endpoint,
        ctx.now,
        Some(args),
        2048,
        |w| {
            w.open("Identify", &[]);
            w.leaf("repositoryName", &[], &ctx.settings.repository_name);
            w.leaf("baseURL", &[], ctx.endpoint);
            w.leaf("protocolVersion", &[], "2.0");
            w.leaf("adminEmail", &[], &ctx.settings.admin_email);
            w.leaf("earliestDatestamp", &[], &earliest.text());
            w.leaf("deletedRecord", &[], "persistent");
            w.leaf("granularity", &[], "YYYY-MM-DDThh:mm:ssZ");
            if ctx.settings.prefix.is_domain() {
                w.open("description", &[]);
                w.open(
                "oai-identifier",
                &[
                    ("xmlns", "http://www.openarchives.org/OAI/2.0/oai-identifier"),
                    ("xsi:schemaLocation", "http://www.openarchives.org/OAI/2.0/oai-identifier http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"),
                ],
            );
                w.leaf("scheme", &[], "oai");
                w.leaf(
                    "repositoryIdentifier",
                    &[],
                    ctx.settings.prefix.repository_id(),
                );
                w.leaf("delimiter", &[], ":");
                w.leaf(
                    "sampleIdentifier",
                    &[],
                    &ctx.settings.prefix.identifier("course-v1:Org+Course+Run"),
                );
                w.close("oai-identifier");
                w.close("description");
            }
            w.close("Identify");
        },
    ))
}

/// The course an OAI identifier names, if it is one of ours.
fn course_id_of(settings: &OaiSettings, identifier: &str) -> Option<CourseId> {
    identifier
        .strip_prefix(settings.prefix.as_str())?
        .parse()
        .ok()
}

async fn find_record(
    store: &dyn CatalogStore,
    settings: &OaiSettings,
    identifier: &str,
) -> Result<CourseRecord, Failure> {
    let record = match course_id_of(settings, identifier) {
        Some(id) => store.get_course(&id).await?,
        None => None,
    };
    record.ok_or_else(|| {
        OaiError::new(ErrorCode::IdDoesNotExist, "no record has this identifier").into()
    })
}

async fn list_metadata_formats(
    store: &dyn CatalogStore,
    ctx: &Ctx<'_>,
    args: &[(String, String)],
    identifier: Option<&str>,
) -> Answer {
    if let Some(identifier) = identifier {
        // Every record is available in every format; only its existence is checked.
        find_record(store, ctx.settings, identifier).await?;
    }
    done(render::document(
        ctx.endpoint,
        ctx.now,
        Some(args),
        1024,
        |w| {
            w.open("ListMetadataFormats", &[]);
            for f in MetadataFormat::ALL {
                w.open("metadataFormat", &[]);
                w.leaf("metadataPrefix", &[], f.prefix());
                w.leaf("schema", &[], f.schema());
                w.leaf("metadataNamespace", &[], f.namespace());
                w.close("metadataFormat");
            }
            w.close("ListMetadataFormats");
        },
    ))
}

fn no_set_hierarchy() -> OaiError {
    OaiError::new(ErrorCode::NoSetHierarchy, "this repository has no sets")
}

async fn list_sets(
    store: &dyn CatalogStore,
    ctx: &Ctx<'_>,
    args: &[(String, String)],
    has_token: bool,
) -> Answer {
    if has_token {
        // The set list always comes whole, so no token of ours can resume it.
        return Err(OaiError::new(
            ErrorCode::BadResumptionToken,
            "ListSets is never paged by this repository",
        )
        .into());
    }
    let sets: Vec<OaiSet> = store.list_sets().await?;
    if sets.is_empty() {
        return Err(no_set_hierarchy().into());
    }
    done(render::document(
        ctx.endpoint,
        ctx.now,
        Some(args),
        256 + sets.len() * 96,
        |w| {
            w.open("ListSets", &[]);
            for s in &sets {
                w.open("set", &[]);
                w.leaf("setSpec", &[], s.spec.as_str());
                w.leaf("setName", &[], &s.name);
                w.close("set");
            }
            w.close("ListSets");
        },
    ))
}

async fn teachers_of(
    store: &dyn CatalogStore,
    records: &[CourseRecord],
) -> Result<Teachers, StoreError> {
    let mut seen = HashSet::new();
    let ids: Vec<_> = records
        .iter()
        .filter(|r| !r.deleted)
        .flat_map(|r| r.course.teachers.iter())
        .filter(|id| seen.insert(*id))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(Teachers::new());
    }
    Ok(store
        .get_teachers(&ids)
        .await?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect())
}

fn write_record(
    w: &mut XmlWriter,
    settings: &OaiSettings,
    format: MetadataFormat,
    r: &CourseRecord,
    teachers: &Teachers,
) {
    w.open("record", &[]);
    render::header(w, settings, r);
    if !r.deleted {
        write_metadata(w, format, r, &settings.prefix, teachers);
    }
    w.close("record");
}

async fn get_record(
    store: &dyn CatalogStore,
    ctx: &Ctx<'_>,
    args: &[(String, String)],
    identifier: &str,
    format: MetadataFormat,
) -> Answer {
    let records = [find_record(store, ctx.settings, identifier).await?];
    let teachers = teachers_of(store, &records).await?;
    done(render::document(
        ctx.endpoint,
        ctx.now,
        Some(args),
        8192,
        |w| {
            w.open("GetRecord", &[]);
            write_record(w, ctx.settings, format, &records[0], &teachers);
            w.close("GetRecord");
        },
    ))
}

/// The state of a first list request. Its horizon is now less the store's list lag, raised
/// in the store first so that no later change is dated before it; the upper bound is frozen
/// at it, so the list ends even while courses change. A set filter needs a set hierarchy.
async fn first_page_state(
    store: &dyn CatalogStore,
    ctx: &Ctx<'_>,
    verb: ListVerb,
    args: &ListArgs,
) -> Result<TokenState, Failure> {
    if args.set.is_some() && store.list_sets().await?.is_empty() {
        return Err(no_set_hierarchy().into());
    }
    let horizon = ctx.now.saturating_add(-i64::from(store.list_lag_seconds()));
    store.advance_horizon(horizon).await?;
    Ok(TokenState {
        verb,
        format: args.format,
        set: args.set.clone(),
        from: args.from,
        until: args.until.map_or(horizon, |u| u.min(horizon)),
        horizon,
        after: None,
        cursor: 0,
        complete_list_size: None,
        expires: ctx.now,
    })
}

fn resume_state(
    ctx: &Ctx<'_>,
    verb: ListVerb,
    token: &str,
    prefix: Option<&str>,
) -> Result<TokenState, OaiError> {
    let state = token::decode(token, &ctx.settings.token_key, ctx.now).map_err(|e| {
        OaiError::new(
            ErrorCode::BadResumptionToken,
            match e {
                TokenError::Expired => "the resumptionToken has expired; start the list again",
                TokenError::BadSignature | TokenError::Malformed => {
                    "the resumptionToken is not one this repository issued"
                }
            },
        )
    })?;
    if state.verb != verb {
        return Err(OaiError::new(
            ErrorCode::BadResumptionToken,
            format!("the resumptionToken belongs to {}", state.verb.as_str()),
        ));
    }
    if let Some(p) = prefix {
        if p != state.format.prefix() {
            return Err(OaiError::new(
                ErrorCode::BadArgument,
                "a metadataPrefix beside a resumptionToken must equal the token's",
            ));
        }
    }
    Ok(state)
}

/// One page of a list: up to the page size, and no more than the response byte budget (a
/// page stops after the record that crosses it, and the token resumes after that record).
async fn list(
    store: &dyn CatalogStore,
    ctx: &Ctx<'_>,
    args: &[(String, String)],
    state: TokenState,
) -> Result<String, Failure> {
    let resumed = state.after.is_some();
    let mut query = RecordQuery {
        from: state.from,
        until: Some(state.until),
        set: state.set.clone(),
        after: state.after.clone(),
        limit: ctx.settings.page_size.max(1),
    };
    let page = store.page_courses(&query).await?;
    if page.records.is_empty() {
        let e = OaiError::new(ErrorCode::NoRecordsMatch, "no record matches the arguments");
        return Ok(error_document(ctx, Some(args), &e, state.horizon));
    }
    let complete_list_size = match (state.complete_list_size, resumed, page.more) {
        (Some(n), _, _) => Some(n),
        (None, false, false) => Some(page.records.len() as u64),
        (None, false, true) => {
            query.after = None;
            store.count_courses(&query).await?
        }
        (None, true, _) => None,
    };
    let teachers = match state.verb {
        ListVerb::ListRecords => teachers_of(store, &page.records).await?,
        ListVerb::ListIdentifiers => Teachers::new(),
    };
    let per_record = if state.verb == ListVerb::ListRecords {
        4096
    } else {
        256
    };
    let capacity = (1024 + page.records.len() * per_record).min(RESPONSE_BYTE_BUDGET);
    Ok(render::document(
        ctx.endpoint,
        state.horizon,
        Some(args),
        capacity,
        |w| {
            let verb = state.verb.as_str();
            w.open(verb, &[]);
            let mut written = 0;
            for r in &page.records {
                if written > 0 && w.len() >= RESPONSE_BYTE_BUDGET {
                    break;
                }
                w.newline();
                match state.verb {
                    ListVerb::ListRecords => {
                        write_record(w, ctx.settings, state.format, r, &teachers)
                    }
                    ListVerb::ListIdentifiers => render::header(w, ctx.settings, r),
                }
                written += 1;
            }
            let more = page.more || written < page.records.len();
            let attrs = |expiration| TokenAttrs {
                expiration,
                complete_list_size,
                cursor: state.cursor,
            };
            match written
                .checked_sub(1)
                .and_then(|last| page.records.get(last))
                .filter(|_| more)
            {
                Some(last) => {
                    let next = TokenState {
                        after: Some(Position::of(last)),
                        cursor: state.cursor + written as u64,
                        complete_list_size,
                        expires: ctx.now.saturating_add(i64::from(ctx.settings.token_ttl)),
                        ..state.clone()
                    };
                    w.newline();
                    let text = token::encode(&next, &ctx.settings.token_key);
                    render::resumption_token(w, &text, &attrs(Some(next.expires)));
                }
                // The protocol closes a resumed list with an empty token; ECO drops a page that
                // carries one, so it is a setting.
                None if resumed && ctx.settings.final_empty_token => {
                    w.newline();
                    render::resumption_token(w, "", &attrs(None));
                }
                None => {}
            }
            w.close(verb);
        },
    ))
}
