package store

import "bytes"

// sealRecord encrypts an encoded event record when the Store has a Cipher.
func (s *Store) sealRecord(eventID string, b []byte) []byte {
	if s.cipher == nil {
		return b
	}
	return s.cipher.seal(b, eventKey(eventID))
}

// openRecord returns the encoded event record of a stored value. A record
// written without encryption (a JSON object: before encryption was turned
// on) is read as it is, so turning encryption on loses no stored event; an
// encrypted one needs its key.
func (s *Store) openRecord(eventID string, b []byte) ([]byte, error) {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return b, nil
	}
	return s.cipher.open(b, eventKey(eventID))
}
