// Package steps holds the logic of each step of the backup workflow, one
// exported type per Lambda handler. Each type depends only on the narrow
// DynamoDB interface it declares, per region, so it is tested with hand-written
// fakes and wired to the AWS SDK adapter in package app.
//
// Every handler method has the Lambda signature
// func(context.Context, In) (Out, error); its input and output structs are
// the JSON contract with the state machine.
package steps

import "time"

// Clock returns the current time; tests replace it.
type Clock func() time.Time

func (c Clock) now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
