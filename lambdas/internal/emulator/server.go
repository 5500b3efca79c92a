package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is an Emulator served over HTTP on a TCP address.
type Server struct {
	// URL is the endpoint for clients, e.g. "http://127.0.0.1:8000".
	URL      string
	Emulator *Emulator

	srv      *http.Server
	ln       net.Listener
	done     chan struct{} // closed when Serve returns
	serveErr error
}

// Start serves a new Emulator on addr ("127.0.0.1:0" picks a free port) in
// the background. Close stops it.
func Start(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	e := New(opts)
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Emulator: e,
		srv: &http.Server{
			Handler:           e,
			ReadHeaderTimeout: 10 * time.Second,
		},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	e.log.Info("emulator listening", "url", s.URL)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server, waiting briefly for calls in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	return s.Wait()
}

// Wait blocks until the server stops and returns its error, if any.
func (s *Server) Wait() error {
	<-s.done
	return s.serveErr
}
