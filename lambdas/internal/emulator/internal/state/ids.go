package state

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// This file makes the names AWS gives things: ARNs, IDs, KMS key ARNs and
// stream labels.

func (st *store) tableARN(region, name string) string {
	return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, st.accountID, name)
}

// backupID is DynamoDB's backup identifier: creation time in milliseconds,
// zero-padded to 14 digits, and 8 random hex digits.
func (st *store) backupID(created time.Time) string {
	return fmt.Sprintf("%014d-%08x", created.UnixMilli(), st.rng.Uint32())
}

// backupCreatedFromID recovers the creation time encoded in a backup ARN.
func backupCreatedFromID(id string) (time.Time, bool) {
	var ms int64
	var suffix string
	if n, _ := fmt.Sscanf(id, "%14d-%s", &ms, &suffix); n != 2 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}

func (st *store) newUUID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := st.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// awsManagedKMSKeyARN is a stable stand-in for the ARN of the aws/dynamodb
// KMS key of a region.
func (st *store) awsManagedKMSKeyARN(region string) string {
	h := sha256.Sum256([]byte(st.accountID + "/" + region + "/aws/dynamodb"))
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%x-%x-%x-%x-%x", region, st.accountID, h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// kmsKeyARN turns a KMSMasterKeyId (key ID, alias or ARN) into an ARN.
func (st *store) kmsKeyARN(region, keyID string) string {
	switch {
	case keyID == "" || keyID == "alias/aws/dynamodb":
		return st.awsManagedKMSKeyARN(region)
	case strings.HasPrefix(keyID, "arn:"):
		return keyID
	case strings.HasPrefix(keyID, "alias/"):
		return fmt.Sprintf("arn:aws:kms:%s:%s:%s", region, st.accountID, keyID)
	default:
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, st.accountID, keyID)
	}
}

// streamLabel is the label DynamoDB gives a stream: its creation time.
func streamLabel(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000")
}
