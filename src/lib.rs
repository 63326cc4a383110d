//! pgshift: a codemod that removes the SQLite single-writer workarounds from a Next.js + Prisma
//! TypeScript project moving to PostgreSQL. The library is the engine (parse, rules, edits);
//! the binary adds the command line, printing and writing.

pub mod copy;
pub mod edit;
pub mod engine;
pub mod git;
pub mod init;
pub mod kinds;
pub mod packs;
pub mod patch;
pub mod prisma_model;
pub mod prisma_project;
pub mod prisma_schema;
pub mod report_md;
pub mod rules;
pub mod source;
pub mod verify;
pub mod walk;
pub mod write;
