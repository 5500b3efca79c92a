package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RestoreInput is the input of a restore execution.
type RestoreInput struct {
	// Tables names the source tables to restore; ["*"] means every table
	// that has a backup.
	Tables []string `json:"tables"`
	// PointInTime selects the newest backup taken at or before it (RFC
	// 3339); empty means the newest backup.
	PointInTime string `json:"pointInTime"`
	// SourceRegion names the region the tables were copied from; it is
	// needed only when two source regions copy tables of the same name
	// into the target region (then an unnamed one is refused).
	SourceRegion string `json:"sourceRegion"`
	// TargetRegion defaults to the region the restore runs in (AWS_REGION).
	TargetRegion string `json:"targetRegion"`
	// NameSuffix is appended to each table's name; TargetNames overrides
	// the target name per table. Without either, tables come back under
	// their own names.
	NameSuffix  string            `json:"nameSuffix"`
	TargetNames map[string]string `json:"targetNames"`
	// ApplySettings reapplies TTL, streams, PITR, tags, deletion
	// protection, table class and billing from the manifest (default true).
	ApplySettings *bool `json:"applySettings"`
	DryRun        bool  `json:"dryRun"`
}

// AllTables is the Tables value that means every table with a backup.
const AllTables = "*"

// Problems collects every problem found in an input, so that one refusal
// lists them all.
type Problems []string

func (p *Problems) Add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// AddErr adds an InvalidInput as "field: problem", or any other error as is.
func (p *Problems) AddErr(err error) {
	var bad *InvalidInput
	if errors.As(err, &bad) {
		p.Add("%s: %s", bad.Field, bad.Problem)
		return
	}
	p.Add("%v", err)
}

// Err returns nil without problems, else an InvalidInput listing them.
func (p Problems) Err(field string) error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return &InvalidInput{Field: field, Problem: p[0]}
	}
	return &InvalidInput{Field: field, Problem: fmt.Sprintf("%d problems: %s", len(p), strings.Join(p, "; "))}
}

// Validate checks what can be checked without DynamoDB, adding a problem
// for each mistake, and returns the parsed point in time. now bounds
// pointInTime.
func (in RestoreInput) Validate(now time.Time, problems *Problems) time.Time {
	var pit time.Time
	if len(in.Tables) == 0 {
		problems.Add(`tables: name at least one table, or ["*"] for every table with a backup`)
	}
	all := slices.Contains(in.Tables, AllTables)
	if all && len(in.Tables) > 1 {
		problems.Add(`tables: "*" already means every table; list no other names with it`)
	}
	seen := map[string]bool{}
	for i, t := range in.Tables {
		if t == AllTables {
			continue
		}
		if err := ValidateName(fmt.Sprintf("tables[%d]", i), t); err != nil {
			problems.AddErr(err)
		}
		if seen[t] {
			problems.Add("tables: %q is listed twice", t)
		}
		seen[t] = true
	}
	if in.PointInTime != "" {
		var err error
		pit, err = time.Parse(time.RFC3339, in.PointInTime)
		switch {
		case err != nil:
			problems.Add("pointInTime: %q is not an RFC 3339 time such as 2026-11-23T10:00:00Z", in.PointInTime)
		case pit.After(now):
			problems.Add("pointInTime: %s is in the future", in.PointInTime)
		}
	}
	if in.SourceRegion != "" {
		if err := ValidateRegion("sourceRegion", in.SourceRegion); err != nil {
			problems.AddErr(err)
		}
	}
	if in.TargetRegion != "" {
		if err := ValidateRegion("targetRegion", in.TargetRegion); err != nil {
			problems.AddErr(err)
		}
	}
	if in.NameSuffix != "" && !nameRE.MatchString(in.NameSuffix) {
		problems.Add("nameSuffix: %q may contain only a-z, A-Z, 0-9, '_', '-' and '.'", in.NameSuffix)
	}
	for source, target := range in.TargetNames {
		if !all && !seen[source] {
			problems.Add("targetNames: %q is not one of the tables to restore", source)
		}
		if err := ValidateName("targetNames."+source, target); err != nil {
			problems.AddErr(err)
		}
	}
	return pit.UTC()
}

// TargetName is the name table is restored under.
func (in RestoreInput) TargetName(table string) string {
	if t, ok := in.TargetNames[table]; ok {
		return t
	}
	return table + in.NameSuffix
}

// Apply reports whether settings are reapplied (the default).
func (in RestoreInput) Apply() bool { return in.ApplySettings == nil || *in.ApplySettings }
