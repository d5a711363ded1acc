//! Helpers of pok-eco's end-to-end tests: the real `pokeco serve` bound to a loopback port 0
//! ([`server`]), a proxy that makes a real LRS fail on demand ([`fault_proxy`]), a static OAI
//! server to prove the external checkers on fixtures ([`static_oai`]), and for the stack test a
//! function's real bootstrap under a local Lambda Runtime API ([`lambda_runtime`]) with its AWS
//! calls recorded ([`aws_recorder`]), and the sample events' learners ([`learners`]). The helpers every crate's tests share (test data, the XML
//! tree, the checkers run as peers) are in `pokeco-testkit`.
//!
//! Helpers panic with a clear message instead of returning errors: a peer that is missing or
//! misbehaves must fail the test that needed it, never skip it.

pub mod aws_recorder;
pub mod fault_proxy;
pub mod lambda_runtime;
pub mod learners;
pub mod server;
pub mod static_oai;
