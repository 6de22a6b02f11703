//! Errors: [`ApiError`] for what a request can go wrong with, mapped to HTTP in one table
//! ([`ErrorCode`]), and [`ServerError`] for starting, benchmarking and the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The stable codes an API error carries, with their HTTP status. Clients match on the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    StoryNotFound,
    ArticleNotFound,
    EntityNotFound,
    FollowNotFound,
    SourceNotFound,
    RouteNotFound,
    MethodNotAllowed,
    InvalidQuery,
    InvalidBody,
    MissingToken,
    InvalidToken,
    PayloadTooLarge,
    WriterUnavailable,
    SearchUnavailable,
    Timeout,
    StorageFull,
    StoreError,
    Internal,
}

/// Every code, for the OpenAPI document and its test.
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode::StoryNotFound,
    ErrorCode::ArticleNotFound,
    ErrorCode::EntityNotFound,
    ErrorCode::FollowNotFound,
    ErrorCode::SourceNotFound,
    ErrorCode::RouteNotFound,
    ErrorCode::MethodNotAllowed,
    ErrorCode::InvalidQuery,
    ErrorCode::InvalidBody,
    ErrorCode::MissingToken,
    ErrorCode::InvalidToken,
    ErrorCode::PayloadTooLarge,
    ErrorCode::WriterUnavailable,
    ErrorCode::SearchUnavailable,
    ErrorCode::Timeout,
    ErrorCode::StorageFull,
    ErrorCode::StoreError,
    ErrorCode::Internal,
];

impl ErrorCode {
    /// The error table: code string and HTTP status.
    pub fn describe(self) -> (&'static str, StatusCode) {
        use ErrorCode::*;
        match self {
            StoryNotFound => ("story_not_found", StatusCode::NOT_FOUND),
            ArticleNotFound => ("article_not_found", StatusCode::NOT_FOUND),
            EntityNotFound => ("entity_not_found", StatusCode::NOT_FOUND),
            FollowNotFound => ("follow_not_found", StatusCode::NOT_FOUND),
            SourceNotFound => ("source_not_found", StatusCode::NOT_FOUND),
            RouteNotFound => ("route_not_found", StatusCode::NOT_FOUND),
            MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED),
            InvalidQuery => ("invalid_query", StatusCode::BAD_REQUEST),
            InvalidBody => ("invalid_body", StatusCode::BAD_REQUEST),
            MissingToken => ("missing_token", StatusCode::UNAUTHORIZED),
            InvalidToken => ("invalid_token", StatusCode::FORBIDDEN),
            PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            WriterUnavailable => ("writer_unavailable", StatusCode::SERVICE_UNAVAILABLE),
            SearchUnavailable => ("search_unavailable", StatusCode::SERVICE_UNAVAILABLE),
            Timeout => ("timeout", StatusCode::SERVICE_UNAVAILABLE),
            StorageFull => ("storage_full", StatusCode::INSUFFICIENT_STORAGE),
            StoreError => ("store_error", StatusCode::INTERNAL_SERVER_ERROR),
            Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.describe().0
    }

    pub fn status(self) -> StatusCode {
        self.describe().1
    }
}

/// Why a request failed. Every variant maps to one [`ErrorCode`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no story {0}")]
    StoryNotFound(u64),
    #[error("no article with id {0:?}")]
    ArticleNotFound(String),
    #[error("no entity {0}")]
    EntityNotFound(u64),
    #[error("no follow {0}")]
    FollowNotFound(u64),
    #[error("no source {0}")]
    SourceNotFound(String),
    #[error("no route {0}")]
    RouteNotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error("invalid body: {0}")]
    InvalidBody(String),
    #[error("this endpoint needs `Authorization: Bearer <token>`")]
    MissingToken,
    #[error("the token is not valid")]
    InvalidToken,
    #[error("the body is larger than the limit of {limit} bytes; send it in smaller parts")]
    PayloadTooLarge { limit: usize },
    #[error("ingest is not available: {0}")]
    WriterUnavailable(String),
    #[error("search is not available: {0}")]
    SearchUnavailable(String),
    #[error("the request took longer than its budget of {0} s")]
    Timeout(u64),
    #[error("the store's disk is full; nothing of this request was stored: {0}")]
    StorageFull(String),
    #[error("store error: {0}")]
    Store(#[from] nuntius_store::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::StoryNotFound(_) => ErrorCode::StoryNotFound,
            ApiError::ArticleNotFound(_) => ErrorCode::ArticleNotFound,
            ApiError::EntityNotFound(_) => ErrorCode::EntityNotFound,
            ApiError::FollowNotFound(_) => ErrorCode::FollowNotFound,
            ApiError::SourceNotFound(_) => ErrorCode::SourceNotFound,
            ApiError::RouteNotFound(_) => ErrorCode::RouteNotFound,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::InvalidQuery(_) => ErrorCode::InvalidQuery,
            ApiError::InvalidBody(_) => ErrorCode::InvalidBody,
            ApiError::MissingToken => ErrorCode::MissingToken,
            ApiError::InvalidToken => ErrorCode::InvalidToken,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::WriterUnavailable(_) => ErrorCode::WriterUnavailable,
            ApiError::SearchUnavailable(_) => ErrorCode::SearchUnavailable,
            ApiError::Timeout(_) => ErrorCode::Timeout,
            ApiError::StorageFull(_) => ErrorCode::StorageFull,
            ApiError::Store(e) if e.is_disk_full() => ErrorCode::StorageFull,
            ApiError::Store(_) => ErrorCode::StoreError,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let status = code.status();
        let body = json!({
            "error": {"code": code.as_str(), "status": status.as_u16(), "message": self.to_string()}
        });
        let mut response = (status, Json(body)).into_response();
        if matches!(code, ErrorCode::MissingToken) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// Errors of starting the server, the client and the benchmark.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] nuntius_store::StoreError),
    #[error(transparent)]
    Search(#[from] nuntius_search::SearchError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Engine(String),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("server at {url}: {message}")]
    Client { url: String, message: String },
    #[error("corpus: {0}")]
    Corpus(String),
}

impl ServerError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ServerError {
        let context = context.into();
        move |source| ServerError::Io { context, source }
    }
}
