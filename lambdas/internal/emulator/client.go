package emulator

import (
	"io"
	"net/http"
)

// maxIdleConns is how many idle connections to the emulator a client keeps:
// as many as the concurrent calls of a local run, so that each call reuses
// a connection. net/http keeps 2 per host by default, so a run with hundreds
// of calls in flight would open (and close) a connection for nearly every
// call, which costs more than the call itself on loopback.
const maxIdleConns = 1024

// NewHTTPClient returns an HTTP client for aws-sdk-go-v2 clients that talk to
// the emulator (set it as dynamodb.Options.HTTPClient). It keeps enough
// idle connections for hundreds of concurrent calls (maxIdleConns).
//
// It works around a client-side race in the SDK and net/http
// (aws/aws-sdk-go-v2#1825, #2737): when a response arrives before the
// transport has finished its trailing read of the request body, the SDK
// closes the body, the transport's WriteTo on it fails with io.EOF, and the
// connection is torn down under the response being read ("use of closed
// network connection"). Against a server on loopback this happens about
// once in a few thousand calls. The SDK retries that error, so clients with
// at least two attempts recover, but a retried write may then be applied
// twice. Hiding the body's WriteTo makes the trailing read a plain Read,
// which ends cleanly.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = maxIdleConns, maxIdleConns
	return &http.Client{Transport: plainBodyTransport{next: tr}}
}

type plainBodyTransport struct{ next http.RoundTripper }

func (t plainBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.next.RoundTrip(r)
	}
	clone := r.Clone(r.Context())
	clone.Body = plainBody{r.Body}
	return t.next.RoundTrip(clone)
}

// plainBody exposes only Read and Close of the wrapped body.
type plainBody struct{ io.ReadCloser }
