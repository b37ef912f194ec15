// Package providerhttp holds the HTTP plumbing the provider clients share:
// the default HTTP client, base-URL checks, one request-and-answer exchange
// with its status, content-type and size checks, the classification of
// transport failures, Retry-After parsing, and small checks on the answers'
// JSON and provider codes.
//
// Like the clients, it never puts any part of a response body into an error:
// errors carry HTTP status numbers, codes of our own and our own words only.
package providerhttp
