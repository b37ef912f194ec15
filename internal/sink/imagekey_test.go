package sink

import "testing"

func TestIsImageKeyRawAndEscapedKeys(t *testing.T) {
	for raw, want := range map[string]bool{
		`"faceImg"`:             true,
		`"docFrontImage"`:       true,
		`"idPhoto"`:             true,
		`"imgList"`:             true,
		`"idNumber"`:            false,
		`"\u0066aceImg"`:        true, // escaped: decoded first
		`"selfie\"quoted"`:      true,
		`"na\u006De"`:           false,
		`""`:                    false,
		`"PORTRAIT"`:            true,
		`not-a-string`:          false,
		`"unterminated`:         false,
		`"x\ud83d\ude00Photos"`: true,
	} {
		if got := isImageKey([]byte(raw)); got != want {
			t.Errorf("isImageKey(%s) = %v, want %v", raw, got, want)
		}
	}
}
