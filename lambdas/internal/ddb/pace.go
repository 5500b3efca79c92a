package ddb

import (
	"context"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// rates is DynamoDB's documented request rate, in calls per second per
// account and region, of each operation that has one. Each value is from the
// operation's API reference:
//   - ListTagsOfResource 10: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTagsOfResource.html
//   - TagResource 5: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html
//   - UntagResource 5: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UntagResource.html
//   - ListBackups 5: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListBackups.html
//   - DescribeBackup 10: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeBackup.html
//   - DeleteBackup 10: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteBackup.html
//   - RestoreTableFromBackup 10: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_RestoreTableFromBackup.html
//   - CreateBackup 50: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateBackup.html
//
// Operations not listed are not paced.
var documentedRates = map[string]rate.Limit{
	"ListTagsOfResource":     10,
	"TagResource":            5,
	"UntagResource":          5,
	"ListBackups":            5,
	"DescribeBackup":         10,
	"DeleteBackup":           10,
	"RestoreTableFromBackup": 10,
	"CreateBackup":           50,
}

// pacers holds one limiter per region and operation for the whole process:
// every client, and every handler instance the process runs, draws on the
// same tokens, so the process as a whole stays within the rates.
var pacers = newPacer(func(op string) rate.Limit { return documentedRates[op] })

type pacerKey struct{ region, op string }

type pacer struct {
	rateOf   func(op string) rate.Limit // 0: not paced
	mu       sync.Mutex
	limiters map[pacerKey]*rate.Limiter
}

func newPacer(rateOf func(op string) rate.Limit) *pacer {
	return &pacer{rateOf: rateOf, limiters: map[pacerKey]*rate.Limiter{}}
}

// limiter returns the limiter of op in region, or nil if op has no rate.
// A burst of one spaces the calls evenly, so no second ever holds more than
// the rate, whenever the process started. A changed rate applies from the
// next call.
func (p *pacer) limiter(region, op string) *rate.Limiter {
	r := p.rateOf(op)
	if r <= 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := pacerKey{region, op}
	l, ok := p.limiters[k]
	if !ok {
		l = rate.NewLimiter(r, 1)
		p.limiters[k] = l
	} else if l.Limit() != r {
		l.SetLimit(r)
	}
	return l
}

// wait blocks until a call of op in region is within its rate. If ctx is
// done first it gives the token back and returns ctx's error.
func (p *pacer) wait(ctx context.Context, region, op string) error {
	l := p.limiter(region, op)
	if l == nil {
		return nil
	}
	r := l.Reserve()
	d := r.Delay()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	}
}

// middleware paces every attempt of a call, retries included: it runs in the
// finalize step after the SDK's retry middleware, just before signing.
func (p *pacer) middleware(region string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(middleware.FinalizeMiddlewareFunc("Pace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := p.wait(ctx, region, awsmiddleware.GetOperationName(ctx)); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), "Retry", middleware.After)
	}
}
