package providerhttp

import (
	"errors"
	"net/url"
)

// ParseBaseURL checks a BaseURL option: an absolute http or https URL
// without credentials, query or fragment. example, a valid base URL, is
// quoted in the error. Errors name the option and never echo raw.
func ParseBaseURL(raw, example string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("BaseURL: is required")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("BaseURL: must be an absolute http or https URL such as " + example)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("BaseURL: must not carry credentials, a query or a fragment")
	}
	return u, nil
}
