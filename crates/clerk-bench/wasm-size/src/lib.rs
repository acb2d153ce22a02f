//! A wasm32 module that does what a real binding over clerk-core does, and
//! nothing else, so that its size is clerk-core's cost in a bundle:
//!
//! - `clerk_build_create(key, base_url, user_id)` and
//!   `clerk_build_revoke(key, base_url, sign_in_token_id)` build the request
//!   (configuration included) and write it to the output buffer as
//!   `METHOD URI\n` then `name: value\n` per header, a blank line, the body.
//! - `clerk_parse_create(status, body)` and `clerk_parse_revoke(status, body)`
//!   read the answer: the token's id, or the error's message, in the output
//!   buffer.
//!
//! Strings are passed as (pointer, length) into memory from `clerk_alloc`.
//! Every export returns the output's length, negated for an error; the
//! output is at `clerk_output()`.

use std::cell::RefCell;

use clerk_core::{
    Config, CreateSignInTokenRequest, HttpRequest, SecretKey, http, request, response,
};

thread_local! {
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reserves `len` bytes for the host to write an argument into.
#[unsafe(no_mangle)]
pub extern "C" fn clerk_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Gives back memory from `clerk_alloc`.
///
/// # Safety
///
/// `ptr` and `len` must come from one `clerk_alloc(len)` call, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes what `clerk_alloc` returned, with its length.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// Where the last output is.
#[unsafe(no_mangle)]
pub extern "C" fn clerk_output() -> *const u8 {
    OUTPUT.with_borrow(|o| o.as_ptr())
}

/// # Safety
///
/// `ptr..ptr+len` must be readable for the call.
unsafe fn text<'a>(ptr: *const u8, len: usize) -> &'a str {
    // SAFETY: the caller vouches for the range.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes).unwrap_or("")
}

fn emit(ok: bool, write: impl FnOnce(&mut Vec<u8>)) -> i32 {
    OUTPUT.with_borrow_mut(|out| {
        out.clear();
        write(out);
        let len = i32::try_from(out.len()).unwrap_or(i32::MAX);
        if ok { len } else { -len }
    })
}

fn config(key: &str, base_url: &str) -> Result<Config, String> {
    let key = SecretKey::new(key).map_err(|e| e.to_string())?;
    Config::builder(key)
        .base_url(base_url)
        .build()
        .map_err(|e| e.to_string())
}

fn emit_request(built: Result<HttpRequest, String>) -> i32 {
    match built {
        Ok(req) => emit(true, |out| {
            out.extend_from_slice(req.method().as_str().as_bytes());
            out.push(b' ');
            out.extend_from_slice(req.uri().to_string().as_bytes());
            out.push(b'\n');
            for (name, value) in req.headers() {
                out.extend_from_slice(name.as_str().as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(value.as_bytes());
                out.push(b'\n');
            }
            out.push(b'\n');
            out.extend_from_slice(req.body());
        }),
        Err(message) => emit(false, |out| out.extend_from_slice(message.as_bytes())),
    }
}

/// Builds `POST {base_url}/sign_in_tokens` for `user_id`.
///
/// # Safety
///
/// Each (pointer, length) pair must be readable for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_build_create(
    key: *const u8,
    key_len: usize,
    base: *const u8,
    base_len: usize,
    user_id: *const u8,
    user_id_len: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (key, base, user_id) =
        unsafe { (text(key, key_len), text(base, base_len), text(user_id, user_id_len)) };
    emit_request(config(key, base).and_then(|config| {
        request::create_sign_in_token(&config, &CreateSignInTokenRequest::new(user_id))
            .map_err(|e| e.to_string())
    }))
}

/// Builds `POST {base_url}/sign_in_tokens/{id}/revoke`.
///
/// # Safety
///
/// Each (pointer, length) pair must be readable for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_build_revoke(
    key: *const u8,
    key_len: usize,
    base: *const u8,
    base_len: usize,
    id: *const u8,
    id_len: usize,
) -> i32 {
    // SAFETY: forwarded from the caller.
    let (key, base, id) = unsafe { (text(key, key_len), text(base, base_len), text(id, id_len)) };
    emit_request(config(key, base).and_then(|config| {
        request::revoke_sign_in_token(&config, id).map_err(|e| e.to_string())
    }))
}

fn parse(status: u32, body: &[u8]) -> i32 {
    let answer = http::Response::builder()
        .status(u16::try_from(status).unwrap_or(0))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body);
    let parsed = match answer {
        Ok(answer) => response::sign_in_token(&answer).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match parsed {
        Ok(token) => emit(true, |out| {
            out.extend_from_slice(token.id.as_bytes());
            out.push(b' ');
            out.extend_from_slice(token.status.as_str().as_bytes());
        }),
        Err(message) => emit(false, |out| out.extend_from_slice(message.as_bytes())),
    }
}

/// Reads the answer to a create.
///
/// # Safety
///
/// `body..body+body_len` must be readable for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_parse_create(status: u32, body: *const u8, body_len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    parse(status, unsafe { std::slice::from_raw_parts(body, body_len) })
}

/// Reads the answer to a revoke.
///
/// # Safety
///
/// `body..body+body_len` must be readable for the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn clerk_parse_revoke(status: u32, body: *const u8, body_len: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    parse(status, unsafe { std::slice::from_raw_parts(body, body_len) })
}
