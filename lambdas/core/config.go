package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Settings is the resolved configuration of one backup run: the Lambda
// environment's defaults with the execution input's overrides applied.
type Settings struct {
	SourceRegion       string            `json:"sourceRegion"`
	DestinationRegions []string          `json:"destinationRegions"`
	RetentionDays      int               `json:"retentionDays"`
	KeepLast           int               `json:"keepLast"`
	Include            []string          `json:"include"`
	Exclude            []string          `json:"exclude"`
	TagFilter          map[string]string `json:"tagFilter"`
	KMSKeyID           string            `json:"kmsKeyId"`
	MaxConcurrency     int               `json:"maxConcurrency"`
	DryRun             bool              `json:"dryRun"`
	SweepAfterHours    int               `json:"sweepAfterHours"`
	PollLimitMinutes   int               `json:"pollLimitMinutes"`
	// CatalogTable names the catalog in each destination region. It is a
	// deployment setting: the execution input cannot change it.
	CatalogTable string `json:"catalogTable"`
	// RunsPerDay is how often the schedule runs, for the cost projection.
	// It is a deployment setting (the CDK app derives it from the schedule).
	RunsPerDay float64 `json:"runsPerDay"`
}

// Defaults for the settings that have one.
const (
	DefaultRetentionDays    = 7
	DefaultKeepLast         = 3
	DefaultMaxConcurrency   = 10
	DefaultSweepAfterHours  = 36
	DefaultPollLimitMinutes = 12 * 60
	DefaultRunsPerDay       = 24
	// SweepMarginMinutes is what the sweep bound must exceed two poll
	// limits by.
	SweepMarginMinutes = 180
)

// EnvVars lists the environment variables that configure the handlers.
var EnvVars = []string{
	"SOURCE_REGION", "DESTINATION_REGIONS", "RETENTION_DAYS", "KEEP_LAST", "INCLUDE", "EXCLUDE",
	"TAG_FILTER", "KMS_KEY_ID", "MAX_CONCURRENCY", "DRY_RUN", "SWEEP_AFTER_HOURS", "POLL_LIMIT_MINUTES", "CATALOG_TABLE", "RUNS_PER_DAY",
}

// SettingsFromEnv reads the settings from environment variables through
// getenv (os.Getenv in production) and validates them.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		SourceRegion:     strings.TrimSpace(getenv("SOURCE_REGION")),
		RetentionDays:    DefaultRetentionDays,
		KeepLast:         DefaultKeepLast,
		Include:          []string{"*"},
		KMSKeyID:         strings.TrimSpace(getenv("KMS_KEY_ID")),
		MaxConcurrency:   DefaultMaxConcurrency,
		SweepAfterHours:  DefaultSweepAfterHours,
		PollLimitMinutes: DefaultPollLimitMinutes,
		CatalogTable:     DefaultCatalogTable,
		RunsPerDay:       DefaultRunsPerDay,
	}
	if v := strings.TrimSpace(getenv("CATALOG_TABLE")); v != "" {
		s.CatalogTable = v
	}
	var err error
	if v := strings.TrimSpace(getenv("RUNS_PER_DAY")); v != "" {
		s.RunsPerDay, err = strconv.ParseFloat(v, 64)
		if err != nil || s.RunsPerDay < 0 || s.RunsPerDay > 24*60 {
			return Settings{}, &InvalidInput{Field: "RUNS_PER_DAY", Problem: fmt.Sprintf("%q is not a number of runs a day from 0 to 1440", v)}
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); strings.TrimSpace(v) != "" && err == nil {
			*dst, err = splitList(name, v)
		}
	}
	num := func(name string, dst *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" && err == nil {
			*dst, err = parseInt(name, v)
		}
	}
	list("DESTINATION_REGIONS", &s.DestinationRegions)
	list("INCLUDE", &s.Include)
	list("EXCLUDE", &s.Exclude)
	num("RETENTION_DAYS", &s.RetentionDays)
	num("KEEP_LAST", &s.KeepLast)
	num("MAX_CONCURRENCY", &s.MaxConcurrency)
	num("SWEEP_AFTER_HOURS", &s.SweepAfterHours)
	num("POLL_LIMIT_MINUTES", &s.PollLimitMinutes)
	if v := strings.TrimSpace(getenv("TAG_FILTER")); v != "" && err == nil {
		s.TagFilter, err = parseTagFilter("TAG_FILTER", v)
	}
	if v := strings.TrimSpace(getenv("DRY_RUN")); v != "" && err == nil {
		s.DryRun, err = strconv.ParseBool(v)
		if err != nil {
			err = &InvalidInput{Field: "DRY_RUN", Problem: fmt.Sprintf("%q is not true or false", v)}
		}
	}
	if err != nil {
		return Settings{}, err
	}
	return s, s.Validate(envNames)
}

// Overrides is the optional execution input of a backup run. Each field that
// is present replaces the setting for this run only.
type Overrides struct {
	SourceRegion       *string           `json:"sourceRegion"`
	DestinationRegions []string          `json:"destinationRegions"`
	Include            []string          `json:"include"`
	Exclude            []string          `json:"exclude"`
	TagFilter          map[string]string `json:"tagFilter"`
	RetentionDays      *int              `json:"retentionDays"`
	KeepLast           *int              `json:"keepLast"`
	KMSKeyID           *string           `json:"kmsKeyId"`
	MaxConcurrency     *int              `json:"maxConcurrency"`
	DryRun             *bool             `json:"dryRun"`
	SweepAfterHours    *int              `json:"sweepAfterHours"`
	PollLimitMinutes   *int              `json:"pollLimitMinutes"`
}

// ParseOverrides decodes execution input strictly: unknown fields and values
// of the wrong type are refused with the field's name. Empty input, null and
// {} mean no overrides.
func ParseOverrides(raw []byte) (Overrides, error) {
	var o Overrides
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return o, nil
	}
	return o, DecodeStrict(raw, &o)
}

// DecodeStrict decodes one JSON object into v, refusing unknown fields,
// wrongly typed values and trailing data with an InvalidInput naming the field.
func DecodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, v)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &InvalidInput{Field: "input", Problem: "must be a single JSON object"}
	}
	return nil
}

func decodeError(err error, v any) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return &InvalidInput{Field: typeErr.Field, Problem: fmt.Sprintf("expected %s, got a JSON %s", typeErr.Type, typeErr.Value)}
	case errors.As(err, &typeErr):
		return &InvalidInput{Field: "input", Problem: fmt.Sprintf("must be a JSON object, got a JSON %s", typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return &InvalidInput{Field: "input", Problem: fmt.Sprintf("is not valid JSON: %v", err)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &InvalidInput{Field: "input", Problem: "is not valid JSON: it ends before the object is closed"}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &InvalidInput{Field: strings.Trim(field, `"`), Problem: "unknown field; allowed fields are " + strings.Join(jsonFields(v), ", ")}
	}
	return &InvalidInput{Field: "input", Problem: err.Error()}
}

// Apply returns s with the overrides applied, validated. Errors name the
// input field.
func (o Overrides) Apply(s Settings) (Settings, error) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.SourceRegion, o.SourceRegion)
	set(&s.KMSKeyID, o.KMSKeyID)
	setInt(&s.RetentionDays, o.RetentionDays)
	setInt(&s.KeepLast, o.KeepLast)
	setInt(&s.MaxConcurrency, o.MaxConcurrency)
	setInt(&s.SweepAfterHours, o.SweepAfterHours)
	setInt(&s.PollLimitMinutes, o.PollLimitMinutes)
	if o.DestinationRegions != nil {
		s.DestinationRegions = o.DestinationRegions
	}
	if o.Include != nil {
		s.Include = o.Include
	}
	if o.Exclude != nil {
		s.Exclude = o.Exclude
	}
	if o.TagFilter != nil {
		s.TagFilter = o.TagFilter
	}
	if o.DryRun != nil {
		s.DryRun = *o.DryRun
	}
	return s, s.Validate(inputNames)
}

// fieldNames maps a setting to the name the user wrote it under.
type fieldNames map[string]string

var envNames = fieldNames{
	"sourceRegion": "SOURCE_REGION", "destinationRegions": "DESTINATION_REGIONS", "retentionDays": "RETENTION_DAYS",
	"keepLast": "KEEP_LAST", "include": "INCLUDE", "exclude": "EXCLUDE", "tagFilter": "TAG_FILTER",
	"kmsKeyId": "KMS_KEY_ID", "maxConcurrency": "MAX_CONCURRENCY", "sweepAfterHours": "SWEEP_AFTER_HOURS",
	"pollLimitMinutes": "POLL_LIMIT_MINUTES", "catalogTable": "CATALOG_TABLE",
}

var inputNames = fieldNames{}

func (f fieldNames) name(field string) string {
	if n, ok := f[field]; ok {
		return n
	}
	return field
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// ValidateRegion checks that region looks like an AWS region name.
func ValidateRegion(field, region string) error {
	if !regionRE.MatchString(region) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not an AWS region name such as us-east-1", region)}
	}
	return nil
}

// Validate checks every setting and reports the first problem, named as the
// user wrote it (environment variable or input field).
func (s Settings) Validate(names fieldNames) error {
	bad := func(field, format string, args ...any) error {
		return &InvalidInput{Field: names.name(field), Problem: fmt.Sprintf(format, args...)}
	}
	if s.SourceRegion == "" {
		return bad("sourceRegion", "is required: the region whose tables are backed up, such as us-east-1")
	}
	if err := ValidateRegion(names.name("sourceRegion"), s.SourceRegion); err != nil {
		return err
	}
	if len(s.DestinationRegions) == 0 {
		return bad("destinationRegions", "is required: at least one region to copy backups to, comma-separated")
	}
	for i, r := range s.DestinationRegions {
		if err := ValidateRegion(names.name("destinationRegions"), r); err != nil {
			return err
		}
		if r == s.SourceRegion {
			return bad("destinationRegions", "%q is the source region; a cross-region copy needs another region", r)
		}
		if slices.Contains(s.DestinationRegions[:i], r) {
			return bad("destinationRegions", "%q is listed twice", r)
		}
	}
	if s.RetentionDays < 1 || s.RetentionDays > 36500 {
		return bad("retentionDays", "must be a whole number of days from 1 to 36500, got %d", s.RetentionDays)
	}
	if s.KeepLast < 1 || s.KeepLast > 1000 {
		return bad("keepLast", "must be from 1 to 1000 (the newest backups always kept per table and region), got %d", s.KeepLast)
	}
	if len(s.Include) == 0 {
		return bad("include", "must hold at least one pattern; use * for every table")
	}
	for _, list := range []struct {
		field    string
		patterns []string
	}{{"include", s.Include}, {"exclude", s.Exclude}} {
		for _, p := range list.patterns {
			if _, err := path.Match(p, ""); err != nil || strings.TrimSpace(p) == "" {
				return bad(list.field, "%q is not a valid glob pattern (use *, ? and [...])", p)
			}
		}
	}
	for k := range s.TagFilter {
		if strings.TrimSpace(k) == "" {
			return bad("tagFilter", "has an empty tag key")
		}
	}
	if err := validateKMSKey(names.name("kmsKeyId"), s.KMSKeyID, s.DestinationRegions); err != nil {
		return err
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 1000 {
		return bad("maxConcurrency", "must be from 1 to 1000, got %d", s.MaxConcurrency)
	}
	if s.SweepAfterHours < 1 {
		return bad("sweepAfterHours", "must be at least 1 hour, got %d", s.SweepAfterHours)
	}
	if err := validatePollLimit(names.name("pollLimitMinutes"), s.PollLimitMinutes); err != nil {
		return err
	}
	// A live run's temporary table waits for its restore and then for its
	// backup, each up to the poll limit, plus retries with backoff (quota
	// retries alone can add over an hour); the sweeper must not take it.
	if need := 2*s.PollLimitMinutes + SweepMarginMinutes; s.SweepAfterHours*60 < need {
		return bad("sweepAfterHours", "must be at least %d hours with a poll limit of %d minutes: a live run's temporary table can exist for two poll limits and its retries, and the sweeper must not delete it", (need+59)/60, s.PollLimitMinutes)
	}
	return ValidateName(names.name("catalogTable"), s.CatalogTable)
}

// RestoreDefaults are the settings a restore reads from the environment.
type RestoreDefaults struct {
	TargetRegion     string // the first of DESTINATION_REGIONS
	CatalogTable     string
	PollLimitMinutes int
}

// RestoreDefaultsFromEnv reads them; unlike a backup, a restore needs no
// source region, since it must work when that region is gone.
func RestoreDefaultsFromEnv(getenv func(string) string) (RestoreDefaults, error) {
	d := RestoreDefaults{CatalogTable: DefaultCatalogTable, PollLimitMinutes: DefaultPollLimitMinutes}
	if v := strings.TrimSpace(getenv("DESTINATION_REGIONS")); v != "" {
		regions, err := splitList("DESTINATION_REGIONS", v)
		if err != nil {
			return d, err
		}
		if err := ValidateRegion("DESTINATION_REGIONS", regions[0]); err != nil {
			return d, err
		}
		d.TargetRegion = regions[0]
	}
	if v := strings.TrimSpace(getenv("CATALOG_TABLE")); v != "" {
		d.CatalogTable = v
	}
	if v := strings.TrimSpace(getenv("POLL_LIMIT_MINUTES")); v != "" {
		n, err := parseInt("POLL_LIMIT_MINUTES", v)
		if err != nil {
			return d, err
		}
		if err := validatePollLimit("POLL_LIMIT_MINUTES", n); err != nil {
			return d, err
		}
		d.PollLimitMinutes = n
	}
	if err := ValidateName("CATALOG_TABLE", d.CatalogTable); err != nil {
		return d, err
	}
	return d, nil
}

var kmsRE = regexp.MustCompile(`^(alias/[a-zA-Z0-9/_-]+|(mrk-)?[0-9a-f]{8}-?[0-9a-f-]{0,40}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[a-zA-Z0-9/_-]+)$`)

func validateKMSKey(field, key string, destinations []string) error {
	if key == "" {
		return nil
	}
	if !kmsRE.MatchString(key) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not a KMS key id, key ARN, alias name (alias/...) or alias ARN", key)}
	}
	if r := RegionOfArn(key); r != "" && (len(destinations) > 1 || r != destinations[0]) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("key ARN is in %s, but the restore runs in %s; use an alias or a multi-Region key id that exists in every destination region", r, strings.Join(destinations, ", "))}
	}
	return nil
}

func splitList(field, v string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, &InvalidInput{Field: field, Problem: fmt.Sprintf("%q has an empty item; write a comma-separated list", v)}
		}
		out = append(out, item)
	}
	return out, nil
}

func parseInt(field, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not a whole number", v)}
	}
	return n, nil
}

func parseTagFilter(field, v string) (map[string]string, error) {
	items, err := splitList(field, v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(items))
	for _, item := range items {
		k, val, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not key=value; write e.g. backup=true,env=prod", item)}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return out, nil
}

func jsonFields(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// validatePollLimit checks the longest wait for one backup or restore.
func validatePollLimit(field string, minutes int) error {
	if minutes < 1 || minutes > 7*24*60 {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("must be from 1 to 10080 (one week), got %d", minutes)}
	}
	return nil
}
