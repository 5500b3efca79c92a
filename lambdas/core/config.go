package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
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
	// MaxConcurrency bounds how many tables the backup Map copies at once.
	// The Map's concurrency follows from the restore slots (RestoreSlots
	// less the restores already in flight); MaxConcurrency only lowers it
	// further, and by default it does not.
	MaxConcurrency   int  `json:"maxConcurrency"`
	DryRun           bool `json:"dryRun"`
	SweepAfterHours  int  `json:"sweepAfterHours"`
	PollLimitMinutes int  `json:"pollLimitMinutes"`
	// CatalogTable names the catalog in each destination region. It is a
	// deployment setting: the execution input cannot change it.
	CatalogTable string `json:"catalogTable"`
	// RunsPerDay is how often the schedule runs, for the cost projection.
	// It is a deployment setting (the CDK app derives it from the schedule).
	RunsPerDay float64 `json:"runsPerDay"`

	// RPO is the default recovery point objective of every table: the most
	// data, in time, that losing the source region may lose. TagRPO and
	// RPOByName override it per table (see ResolveRPO).
	RPO       Period    `json:"rpo"`
	RPOByName []RPORule `json:"rpoByName"`
	// MaxUnchanged is the longest a table goes without a copy, even when
	// the metrics prove it unchanged.
	MaxUnchanged Period `json:"maxUnchanged"`
	// RestoreSlots is how many restores this tool may run at once in each
	// destination region, under the account's 50 concurrent restores.
	RestoreSlots int `json:"restoreSlots"`
	// DestinationRetention and SourceRetention are retention tiers for each
	// region; nil keeps RetentionDays and KeepLast.
	// Both are always in the JSON (null when unset): the state machine
	// passes them on by path.
	DestinationRetention *Tiers `json:"destinationRetention"`
	SourceRetention      *Tiers `json:"sourceRetention"`
	// LedgerTable names the run ledger in the stack's region. It is a
	// deployment setting: the execution input cannot change it.
	LedgerTable string `json:"ledgerTable"`
}

// Defaults for the settings that have one.
const (
	DefaultRetentionDays = 7
	DefaultKeepLast      = 3
	// DefaultMaxConcurrency is MaxMaxConcurrency: no bound on the Map
	// besides the restore slots.
	DefaultMaxConcurrency   = MaxMaxConcurrency
	MaxMaxConcurrency       = 1000
	DefaultSweepAfterHours  = 36
	DefaultPollLimitMinutes = 12 * 60
	DefaultRunsPerDay       = 24
	DefaultRPO              = Period(time.Hour)
	DefaultMaxUnchanged     = Period(7 * 24 * time.Hour)
	// MaxMaxUnchanged is how long CloudWatch keeps DynamoDB's one-minute
	// datapoints: 15 days ("Metrics retention", Amazon CloudWatch concepts,
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention).
	// A skip must be proved by them over the whole time since the newest
	// copy, so a table goes no longer without a copy.
	MaxMaxUnchanged = Period(15 * 24 * time.Hour)
	// DefaultRestoreSlots leaves 10 of the account's 50 concurrent restores
	// per region to people and other tools ("Restore a table in DynamoDB",
	// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/pointintimerecovery_restores.html).
	DefaultRestoreSlots = 40
	MaxRestoreSlots     = 50
	DefaultLedgerTable  = "xregion-backup-ledger"
	// SweepMarginMinutes is what the sweep bound must exceed two poll
	// limits by.
	SweepMarginMinutes = 180
)

// DefaultSettings returns the settings with every default applied; the
// regions, which have none, are empty.
func DefaultSettings() Settings {
	return Settings{
		RetentionDays:    DefaultRetentionDays,
		KeepLast:         DefaultKeepLast,
		Include:          []string{"*"},
		MaxConcurrency:   DefaultMaxConcurrency,
		SweepAfterHours:  DefaultSweepAfterHours,
		PollLimitMinutes: DefaultPollLimitMinutes,
		CatalogTable:     DefaultCatalogTable,
		RunsPerDay:       DefaultRunsPerDay,
		RPO:              DefaultRPO,
		MaxUnchanged:     DefaultMaxUnchanged,
		RestoreSlots:     DefaultRestoreSlots,
		LedgerTable:      DefaultLedgerTable,
	}
}

// The environment variables that configure the handlers. The CDK app sets
// them from its context; SettingsFromEnv reads them.
const (
	EnvSourceRegion       = "SOURCE_REGION"
	EnvDestinationRegions = "DESTINATION_REGIONS"
	EnvRetentionDays      = "RETENTION_DAYS"
	EnvKeepLast           = "KEEP_LAST"
	EnvInclude            = "INCLUDE"
	EnvExclude            = "EXCLUDE"
	EnvTagFilter          = "TAG_FILTER"
	EnvKMSKeyID           = "KMS_KEY_ID"
	EnvMaxConcurrency     = "MAX_CONCURRENCY"
	EnvDryRun             = "DRY_RUN"
	EnvSweepAfterHours    = "SWEEP_AFTER_HOURS"
	EnvPollLimitMinutes   = "POLL_LIMIT_MINUTES"
	EnvCatalogTable       = "CATALOG_TABLE"
	EnvRunsPerDay         = "RUNS_PER_DAY"
	EnvRPO                = "RPO"
	EnvRPOByName          = "RPO_BY_NAME"
	EnvMaxUnchanged       = "MAX_UNCHANGED"
	EnvRestoreSlots       = "RESTORE_SLOTS"
	EnvDestRetention      = "DESTINATION_RETENTION"
	EnvSourceRetention    = "SOURCE_RETENTION"
	EnvLedgerTable        = "LEDGER_TABLE"
)

// EnvRegion is the function's own region. Lambda sets it in every
// function's environment; a deployment cannot and must not set it.
const EnvRegion = "AWS_REGION"

// EnvVars lists the environment variables that configure the handlers.
var EnvVars = []string{
	EnvSourceRegion, EnvDestinationRegions, EnvRetentionDays, EnvKeepLast, EnvInclude, EnvExclude,
	EnvTagFilter, EnvKMSKeyID, EnvMaxConcurrency, EnvDryRun, EnvSweepAfterHours, EnvPollLimitMinutes, EnvCatalogTable, EnvRunsPerDay,
	EnvRPO, EnvRPOByName, EnvMaxUnchanged, EnvRestoreSlots, EnvDestRetention, EnvSourceRetention, EnvLedgerTable,
}

// RestoreEnvVars lists the environment variables that a restore reads (see
// RestoreDefaultsFromEnv), besides EnvRegion.
var RestoreEnvVars = []string{EnvCatalogTable, EnvPollLimitMinutes, EnvLedgerTable}

// SettingsFromEnv reads the settings from environment variables through
// getenv (os.Getenv in production) and validates them.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := DefaultSettings()
	s.SourceRegion = strings.TrimSpace(getenv(EnvSourceRegion))
	s.KMSKeyID = strings.TrimSpace(getenv(EnvKMSKeyID))
	if v := strings.TrimSpace(getenv(EnvCatalogTable)); v != "" {
		s.CatalogTable = v
	}
	if v := strings.TrimSpace(getenv(EnvLedgerTable)); v != "" {
		s.LedgerTable = v
	}
	var err error
	if v := strings.TrimSpace(getenv(EnvRunsPerDay)); v != "" {
		s.RunsPerDay, err = strconv.ParseFloat(v, 64)
		if err != nil || s.RunsPerDay < 0 || s.RunsPerDay > 24*60 {
			return Settings{}, &InvalidInput{Field: EnvRunsPerDay, Problem: fmt.Sprintf("%q is not a number of runs a day from 0 to 1440", v)}
		}
	}
	list := func(name string, dst *[]string) {
		if v := getenv(name); strings.TrimSpace(v) != "" && err == nil {
			*dst, err = SplitList(name, v)
		}
	}
	num := func(name string, dst *int) {
		if v := strings.TrimSpace(getenv(name)); v != "" && err == nil {
			*dst, err = parseInt(name, v)
		}
	}
	list(EnvDestinationRegions, &s.DestinationRegions)
	list(EnvInclude, &s.Include)
	list(EnvExclude, &s.Exclude)
	num(EnvRetentionDays, &s.RetentionDays)
	num(EnvKeepLast, &s.KeepLast)
	num(EnvMaxConcurrency, &s.MaxConcurrency)
	num(EnvSweepAfterHours, &s.SweepAfterHours)
	num(EnvPollLimitMinutes, &s.PollLimitMinutes)
	num(EnvRestoreSlots, &s.RestoreSlots)
	period := func(name string, dst *Period, parse func(string) (Period, error)) {
		if v := strings.TrimSpace(getenv(name)); v != "" && err == nil {
			*dst, err = parsePeriodSetting(name, v, parse)
		}
	}
	period(EnvRPO, &s.RPO, ParseRPO)
	period(EnvMaxUnchanged, &s.MaxUnchanged, ParsePeriod)
	var rules []string
	list(EnvRPOByName, &rules)
	if rules != nil && err == nil {
		s.RPOByName, err = ParseRPORules(EnvRPOByName, rules)
	}
	tiers := func(name string, dst **Tiers) {
		if v := strings.TrimSpace(getenv(name)); v != "" && err == nil {
			*dst, err = ParseTiers(name, v)
		}
	}
	tiers(EnvDestRetention, &s.DestinationRetention)
	tiers(EnvSourceRetention, &s.SourceRetention)
	if v := strings.TrimSpace(getenv(EnvTagFilter)); v != "" && err == nil {
		s.TagFilter, err = ParseTagFilter(EnvTagFilter, v)
	}
	if v := strings.TrimSpace(getenv(EnvDryRun)); v != "" && err == nil {
		s.DryRun, err = strconv.ParseBool(v)
		if err != nil {
			err = &InvalidInput{Field: EnvDryRun, Problem: fmt.Sprintf("%q is not true or false", v)}
		}
	}
	if err != nil {
		return Settings{}, err
	}
	return s, s.Validate(EnvNames)
}

// Environment is the Lambda environment that carries s to the handlers, the
// inverse of SettingsFromEnv: every variable of EnvVars is present, and an
// empty value means not set. It fails, naming the setting by its JSON name,
// when a tag filter entry holds a character that TAG_FILTER cannot carry.
func (s Settings) Environment() (map[string]string, error) {
	for k, v := range s.TagFilter {
		if k == "" || strings.ContainsAny(k+v, ",=") {
			return nil, &InvalidInput{Field: "tagFilter", Problem: fmt.Sprintf("has an invalid entry %q=%q; write key=value pairs such as backup=true,env=prod", k, v)}
		}
	}
	rules := make([]string, 0, len(s.RPOByName))
	for _, r := range s.RPOByName {
		rules = append(rules, r.String())
	}
	tags := make([]string, 0, len(s.TagFilter))
	for _, k := range slices.Sorted(maps.Keys(s.TagFilter)) {
		tags = append(tags, k+"="+s.TagFilter[k])
	}
	return map[string]string{
		EnvSourceRegion:       s.SourceRegion,
		EnvDestinationRegions: strings.Join(s.DestinationRegions, ","),
		EnvRetentionDays:      strconv.Itoa(s.RetentionDays),
		EnvKeepLast:           strconv.Itoa(s.KeepLast),
		EnvInclude:            strings.Join(s.Include, ","),
		EnvExclude:            strings.Join(s.Exclude, ","),
		EnvTagFilter:          strings.Join(tags, ","),
		EnvKMSKeyID:           s.KMSKeyID,
		EnvMaxConcurrency:     strconv.Itoa(s.MaxConcurrency),
		EnvDryRun:             strconv.FormatBool(s.DryRun),
		EnvSweepAfterHours:    strconv.Itoa(s.SweepAfterHours),
		EnvPollLimitMinutes:   strconv.Itoa(s.PollLimitMinutes),
		EnvCatalogTable:       s.CatalogTable,
		EnvRunsPerDay:         strconv.FormatFloat(s.RunsPerDay, 'f', -1, 64),
		EnvRPO:                s.RPO.String(),
		EnvRPOByName:          strings.Join(rules, ","),
		EnvMaxUnchanged:       s.MaxUnchanged.String(),
		EnvRestoreSlots:       strconv.Itoa(s.RestoreSlots),
		EnvDestRetention:      s.DestinationRetention.String(),
		EnvSourceRetention:    s.SourceRetention.String(),
		EnvLedgerTable:        s.LedgerTable,
	}, nil
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
	// The RPO settings and retention tiers take the forms of their
	// environment variables: "1h", "off", ["audit-*=1d"], "last=3,daily=7".
	RPO                  *string  `json:"rpo"`
	RPOByName            []string `json:"rpoByName"`
	MaxUnchanged         *string  `json:"maxUnchanged"`
	RestoreSlots         *int     `json:"restoreSlots"`
	DestinationRetention *string  `json:"destinationRetention"`
	SourceRetention      *string  `json:"sourceRetention"`
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
	setInt(&s.RestoreSlots, o.RestoreSlots)
	var err error
	if o.RPO != nil {
		s.RPO, err = parsePeriodSetting("rpo", *o.RPO, ParseRPO)
	}
	if o.MaxUnchanged != nil && err == nil {
		s.MaxUnchanged, err = parsePeriodSetting("maxUnchanged", *o.MaxUnchanged, ParsePeriod)
	}
	if o.RPOByName != nil && err == nil {
		s.RPOByName, err = ParseRPORules("rpoByName", o.RPOByName)
	}
	tiers := func(field string, dst **Tiers, v *string) {
		if v != nil && err == nil {
			*dst = nil
			if strings.TrimSpace(*v) != "" {
				*dst, err = ParseTiers(field, *v)
			}
		}
	}
	tiers("destinationRetention", &s.DestinationRetention, o.DestinationRetention)
	tiers("sourceRetention", &s.SourceRetention, o.SourceRetention)
	if err != nil {
		return Settings{}, err
	}
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
	return s, s.Validate(InputNames)
}

// FieldNames maps a setting's JSON name (as in Settings) to the name the user
// wrote it under, so that errors name it the same way. A setting it does not
// list keeps its JSON name.
type FieldNames map[string]string

// EnvNames names the settings as environment variables.
var EnvNames = FieldNames{
	"sourceRegion": EnvSourceRegion, "destinationRegions": EnvDestinationRegions, "retentionDays": EnvRetentionDays,
	"keepLast": EnvKeepLast, "include": EnvInclude, "exclude": EnvExclude, "tagFilter": EnvTagFilter,
	"kmsKeyId": EnvKMSKeyID, "maxConcurrency": EnvMaxConcurrency, "dryRun": EnvDryRun, "sweepAfterHours": EnvSweepAfterHours,
	"pollLimitMinutes": EnvPollLimitMinutes, "catalogTable": EnvCatalogTable, "runsPerDay": EnvRunsPerDay,
	"rpo": EnvRPO, "rpoByName": EnvRPOByName, "maxUnchanged": EnvMaxUnchanged, "restoreSlots": EnvRestoreSlots,
	"destinationRetention": EnvDestRetention, "sourceRetention": EnvSourceRetention, "ledgerTable": EnvLedgerTable,
}

// InputNames names the settings as execution input fields: their JSON names.
var InputNames = FieldNames{}

// Name is how the user wrote the setting whose JSON name is field.
func (f FieldNames) Name(field string) string {
	if n, ok := f[field]; ok {
		return n
	}
	return field
}

var (
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// globRE admits what can match a table name: its characters and the
	// wildcard syntax of path.Match.
	globRE = regexp.MustCompile(`^[a-zA-Z0-9_.*?\[\]!^\\-]+$`)
)

// ValidateRegion checks that region looks like an AWS region name.
func ValidateRegion(field, region string) error {
	if !regionRE.MatchString(region) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not an AWS region name such as us-east-1", region)}
	}
	return nil
}

// Validate checks every setting and reports the first problem, named as the
// user wrote it (environment variable, input field or CDK context key).
func (s Settings) Validate(names FieldNames) error {
	bad := func(field, format string, args ...any) error {
		return &InvalidInput{Field: names.Name(field), Problem: fmt.Sprintf(format, args...)}
	}
	if s.SourceRegion == "" {
		return bad("sourceRegion", "is required: the region whose tables are backed up, such as us-east-1")
	}
	if err := ValidateRegion(names.Name("sourceRegion"), s.SourceRegion); err != nil {
		return err
	}
	if len(s.DestinationRegions) == 0 {
		return bad("destinationRegions", "is required: at least one region to copy backups to, comma-separated")
	}
	for i, r := range s.DestinationRegions {
		if err := ValidateRegion(names.Name("destinationRegions"), r); err != nil {
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
			if _, err := path.Match(p, ""); err != nil || !globRE.MatchString(p) {
				return bad(list.field, "%q is not a table-name glob (letters, digits, _ . - and the wildcards * ? [...])", p)
			}
		}
	}
	for k := range s.TagFilter {
		if strings.TrimSpace(k) == "" {
			return bad("tagFilter", "has an empty tag key")
		}
	}
	if err := validateKMSKey(names.Name("kmsKeyId"), s.KMSKeyID, s.DestinationRegions); err != nil {
		return err
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > MaxMaxConcurrency {
		return bad("maxConcurrency", "must be from 1 to %d, got %d", MaxMaxConcurrency, s.MaxConcurrency)
	}
	if s.SweepAfterHours < 1 {
		return bad("sweepAfterHours", "must be at least 1 hour, got %d", s.SweepAfterHours)
	}
	if err := validatePollLimit(names.Name("pollLimitMinutes"), s.PollLimitMinutes); err != nil {
		return err
	}
	// A live run's temporary table waits for its restore and then for its
	// backup, each up to the poll limit, plus retries with backoff (quota
	// retries alone can add over an hour); the sweeper must not take it.
	if need := 2*s.PollLimitMinutes + SweepMarginMinutes; s.SweepAfterHours*60 < need {
		return bad("sweepAfterHours", "must be at least %d hours with a poll limit of %d minutes (%s): a live run's temporary table can exist for two poll limits and its retries, and the sweeper must not delete it",
			(need+59)/60, s.PollLimitMinutes, names.Name("pollLimitMinutes"))
	}
	if err := s.validateRPO(bad); err != nil {
		return err
	}
	if err := ValidateName(names.Name("catalogTable"), s.CatalogTable); err != nil {
		return err
	}
	return ValidateName(names.Name("ledgerTable"), s.LedgerTable)
}

// validateRPO checks the settings of copying by RPO: the values that come
// parsed from the environment or the input may still be out of range when
// a program builds Settings itself (the CDK app does).
func (s Settings) validateRPO(bad func(field, format string, args ...any) error) error {
	if s.RPO != RPOOff && (s.RPO < MinRPO || s.RPO > MaxRPO) {
		return bad("rpo", "%s is out of range; use %s", s.RPO, RPOForms)
	}
	for _, r := range s.RPOByName {
		if _, err := parseRPORule(r.String()); err != nil {
			return bad("rpoByName", "%v", err)
		}
	}
	if s.MaxUnchanged < MinRPO || s.MaxUnchanged > MaxMaxUnchanged {
		return bad("maxUnchanged", "must be from 1m to %s (CloudWatch keeps one-minute metrics 15 days, and a skip must be proved by them), got %s",
			MaxMaxUnchanged, s.MaxUnchanged)
	}
	if s.RestoreSlots < 1 || s.RestoreSlots > MaxRestoreSlots {
		return bad("restoreSlots", "must be from 1 to %d (an account runs at most 50 restores at once), got %d", MaxRestoreSlots, s.RestoreSlots)
	}
	for _, t := range []struct {
		field string
		tiers *Tiers
	}{{"destinationRetention", s.DestinationRetention}, {"sourceRetention", s.SourceRetention}} {
		if err := t.tiers.validate(); err != nil {
			return bad(t.field, "%v", err)
		}
	}
	return nil
}

func parsePeriodSetting(field, v string, parse func(string) (Period, error)) (Period, error) {
	p, err := parse(v)
	if err != nil {
		return 0, &InvalidInput{Field: field, Problem: err.Error()}
	}
	return p, nil
}

// RestoreDefaults are the settings a restore reads from the environment.
type RestoreDefaults struct {
	TargetRegion     string // the function's own region (AWS_REGION)
	CatalogTable     string
	LedgerTable      string
	PollLimitMinutes int
}

// RestoreDefaultsFromEnv reads them: the target region from AWS_REGION,
// which Lambda sets, and RestoreEnvVars. Unlike a backup, a restore needs no
// source region, since it must work when that region is gone.
func RestoreDefaultsFromEnv(getenv func(string) string) (RestoreDefaults, error) {
	d := RestoreDefaults{CatalogTable: DefaultCatalogTable, LedgerTable: DefaultLedgerTable, PollLimitMinutes: DefaultPollLimitMinutes}
	d.TargetRegion = strings.TrimSpace(getenv(EnvRegion))
	if d.TargetRegion == "" {
		return d, &InvalidInput{Field: EnvRegion, Problem: "is not set; Lambda sets it to the function's region, which a restore targets by default"}
	}
	if err := ValidateRegion(EnvRegion, d.TargetRegion); err != nil {
		return d, err
	}
	if v := strings.TrimSpace(getenv(EnvCatalogTable)); v != "" {
		d.CatalogTable = v
	}
	if v := strings.TrimSpace(getenv(EnvLedgerTable)); v != "" {
		d.LedgerTable = v
	}
	if v := strings.TrimSpace(getenv(EnvPollLimitMinutes)); v != "" {
		n, err := parseInt(EnvPollLimitMinutes, v)
		if err != nil {
			return d, err
		}
		if err := validatePollLimit(EnvPollLimitMinutes, n); err != nil {
			return d, err
		}
		d.PollLimitMinutes = n
	}
	if err := ValidateName(EnvCatalogTable, d.CatalogTable); err != nil {
		return d, err
	}
	if err := ValidateName(EnvLedgerTable, d.LedgerTable); err != nil {
		return d, err
	}
	return d, nil
}

var kmsRE = regexp.MustCompile(`^(alias/[a-zA-Z0-9/_-]+|(mrk-)?[0-9a-f]{8}-?[0-9a-f-]{0,40}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[a-zA-Z0-9/_-]+)$`)

// validateKMSKey checks the key that encrypts the temporary tables, which
// are restored in every destination region. A key ARN names a key in its
// own region. A bare key id names a key in the region of the call, and a
// single-Region key exists in one region only, so with several destinations
// the restores in the others would fail: only an alias (each region has its
// own) or a multi-Region key, whose related keys in other regions share its
// "mrk-" key id, works there. "How multi-Region keys work", AWS KMS
// Developer Guide (https://docs.aws.amazon.com/kms/latest/developerguide/mrk-how-it-works.html).
// With one destination, a bare id must be a key in that region.
func validateKMSKey(field, key string, destinations []string) error {
	if key == "" {
		return nil
	}
	if !kmsRE.MatchString(key) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is not a KMS key id, key ARN, alias name (alias/...) or alias ARN", key)}
	}
	if r := RegionOfArn(key); r != "" && (len(destinations) > 1 || r != destinations[0]) {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is an ARN in %s, but restores run in %s; use an alias or a multi-Region key id that exists in every destination region", key, r, strings.Join(destinations, ", "))}
	}
	bareID := !strings.HasPrefix(key, "alias/") && !strings.HasPrefix(key, "arn:") && !strings.HasPrefix(key, "mrk-")
	if bareID && len(destinations) > 1 {
		return &InvalidInput{Field: field, Problem: fmt.Sprintf("%q is the id of a single-Region key, which exists in one region only, but restores run in %s; "+
			"use an alias (alias/...) that exists in every destination region or a multi-Region key (mrk-...) replicated to each", key, strings.Join(destinations, ", "))}
	}
	return nil
}

// SplitList splits a comma-separated list, trimming each item; an empty
// item is an InvalidInput naming field.
func SplitList(field, v string) ([]string, error) {
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

// ParseTagFilter parses "key=value,key2=value2", as TAG_FILTER holds it; a
// malformed entry is an InvalidInput naming field.
func ParseTagFilter(field, v string) (map[string]string, error) {
	items, err := SplitList(field, v)
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
