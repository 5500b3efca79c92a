package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/dynamodb-xregion-backup/dynamodb-xregion-backup/lambdas/internal/emulator/internal/state"
)

// ---- state dump ----

type stateDump struct {
	AccountID             string                      `json:"accountId"`
	Now                   time.Time                   `json:"now"`
	ClockOffsetSeconds    float64                     `json:"clockOffsetSeconds"`
	Durations             durationsJSON               `json:"durations"`
	Model                 modelJSON                   `json:"model"`
	MaxConcurrentRestores int                         `json:"maxConcurrentRestores"`
	Regions               map[string]state.RegionDump `json:"regions"`
	Faults                []Fault                     `json:"faults"`
	LatencyMillis         map[string]int64            `json:"latencyMillis"`
	RegionsDown           []string                    `json:"regionsDown"`
	Stats                 Stats                       `json:"stats"`
}

// State returns the whole emulator state as JSON: per region, its tables
// (status, counts, settings, tags) and backups, plus the admin settings.
func (e *Emulator) State() ([]byte, error) {
	s := e.state.Dump()
	dump := stateDump{
		AccountID:             s.AccountID,
		Now:                   s.Now,
		ClockOffsetSeconds:    s.ClockOffset.Seconds(),
		Durations:             toDurationsJSON(s.Durations),
		Model:                 toModelJSON(e.Model()),
		MaxConcurrentRestores: s.MaxConcurrentRestores,
		Regions:               s.Regions,
		Faults:                e.Faults(),
	}
	e.control.mu.Lock()
	dump.LatencyMillis = map[string]int64{}
	for op, d := range e.control.latency {
		dump.LatencyMillis[op] = d.Milliseconds()
	}
	dump.RegionsDown = []string{}
	for r := range e.control.down {
		dump.RegionsDown = append(dump.RegionsDown, r)
	}
	e.control.mu.Unlock()
	sort.Strings(dump.RegionsDown)
	dump.Stats = e.Stats()
	return json.MarshalIndent(dump, "", "  ")
}

// ---- admin HTTP API ----

// durationsJSON is Durations in milliseconds, for the admin API.
type durationsJSON struct {
	TableCreate  int64 `json:"tableCreate"`
	TableDelete  int64 `json:"tableDelete"`
	BackupCreate int64 `json:"backupCreate"`
	Restore      int64 `json:"restore"`
	PerMiB       int64 `json:"perMiB"`
}

func toDurationsJSON(d Durations) durationsJSON {
	return durationsJSON{
		TableCreate: d.TableCreate.Milliseconds(), TableDelete: d.TableDelete.Milliseconds(),
		BackupCreate: d.BackupCreate.Milliseconds(), Restore: d.Restore.Milliseconds(), PerMiB: d.PerMiB.Milliseconds(),
	}
}

func (d durationsJSON) durations() Durations {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	return Durations{
		TableCreate: ms(d.TableCreate), TableDelete: ms(d.TableDelete),
		BackupCreate: ms(d.BackupCreate), Restore: ms(d.Restore), PerMiB: ms(d.PerMiB),
	}
}

// modelJSON is Model for the admin API: durations in milliseconds, rates
// in calls per second by operation.
type modelJSON struct {
	TagsRequireActive  bool               `json:"tagsRequireActive"`
	TagPropagation     int64              `json:"tagPropagation"`
	BackupsEnabling    int64              `json:"backupsEnabling"`
	StatsRefresh       int64              `json:"statsRefresh"`
	TableUpdate        int64              `json:"tableUpdate"`
	MaxTableOperations int                `json:"maxTableOperations"`
	MetricsDelay       int64              `json:"metricsDelay"`
	Rates              map[string]float64 `json:"rates"`
}

func toModelJSON(m Model) modelJSON {
	rates := m.Rates
	if rates == nil {
		rates = map[string]float64{}
	}
	return modelJSON{
		TagsRequireActive: m.TagsRequireActive, TagPropagation: m.TagPropagation.Milliseconds(),
		BackupsEnabling: m.BackupsEnabling.Milliseconds(), StatsRefresh: m.StatsRefresh.Milliseconds(),
		TableUpdate: m.TableUpdate.Milliseconds(), MaxTableOperations: m.MaxTableOperations,
		MetricsDelay: m.MetricsDelay.Milliseconds(), Rates: rates,
	}
}

// model converts back; a rate of 0 or less removes the operation's limit.
func (j modelJSON) model() Model {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	m := Model{
		TagsRequireActive: j.TagsRequireActive, TagPropagation: ms(j.TagPropagation),
		BackupsEnabling: ms(j.BackupsEnabling), StatsRefresh: ms(j.StatsRefresh),
		TableUpdate: ms(j.TableUpdate), MaxTableOperations: j.MaxTableOperations,
		MetricsDelay: ms(j.MetricsDelay), Rates: map[string]float64{},
	}
	for op, r := range j.Rates {
		if r > 0 {
			m.Rates[op] = r
		}
	}
	return m
}

// routeAdmin registers the admin API under /_emulator/.
func (e *Emulator) routeAdmin() {
	m := e.mux
	m.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, e.Faults())
	})
	m.HandleFunc("POST /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readAdminJSON(w, r, &f) {
			return
		}
		if f.ErrorCode == "" {
			adminError(w, http.StatusBadRequest, "errorCode is required")
			return
		}
		e.AddFault(f)
		writeAdminJSON(w, e.Faults())
	})
	m.HandleFunc("DELETE /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		e.ClearFaults()
		writeAdminJSON(w, []Fault{})
	})
	m.HandleFunc("POST /_emulator/latency", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Operation string  `json:"operation"`
			Millis    float64 `json:"millis"`
		}
		if !readAdminJSON(w, r, &in) {
			return
		}
		e.SetLatency(in.Operation, time.Duration(in.Millis*float64(time.Millisecond)))
		writeAdminJSON(w, map[string]any{"operation": in.Operation, "millis": in.Millis})
	})
	m.HandleFunc("DELETE /_emulator/latency", func(w http.ResponseWriter, r *http.Request) {
		e.ClearLatency()
		writeAdminJSON(w, map[string]any{})
	})
	m.HandleFunc("POST /_emulator/regions/{region}/{change}", func(w http.ResponseWriter, r *http.Request) {
		region, change := r.PathValue("region"), r.PathValue("change")
		if change != "down" && change != "up" {
			adminError(w, http.StatusNotFound, "use POST /_emulator/regions/{region}/down or /up")
			return
		}
		e.SetRegionDown(region, change == "down")
		writeAdminJSON(w, map[string]any{"region": region, "down": change == "down"})
	})
	m.HandleFunc("GET /_emulator/durations", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, toDurationsJSON(e.Durations()))
	})
	m.HandleFunc("POST /_emulator/durations", func(w http.ResponseWriter, r *http.Request) {
		in := toDurationsJSON(e.Durations())
		if !readAdminJSON(w, r, &in) {
			return
		}
		e.SetDurations(in.durations())
		writeAdminJSON(w, in)
	})
	m.HandleFunc("GET /_emulator/model", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, toModelJSON(e.Model()))
	})
	m.HandleFunc("POST /_emulator/model", func(w http.ResponseWriter, r *http.Request) {
		in := toModelJSON(e.Model()) // omitted fields and rates keep their value
		if !readAdminJSON(w, r, &in) {
			return
		}
		e.SetModel(in.model())
		writeAdminJSON(w, toModelJSON(e.Model()))
	})
	m.HandleFunc("POST /_emulator/model/default", func(w http.ResponseWriter, r *http.Request) {
		e.SetModel(DefaultModel())
		writeAdminJSON(w, toModelJSON(e.Model()))
	})
	m.HandleFunc("POST /_emulator/clock", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AdvanceSeconds float64 `json:"advanceSeconds"`
		}
		if !readAdminJSON(w, r, &in) {
			return
		}
		if in.AdvanceSeconds < 0 {
			adminError(w, http.StatusBadRequest, "the clock only moves forward")
			return
		}
		e.AdvanceClock(time.Duration(in.AdvanceSeconds * float64(time.Second)))
		writeAdminJSON(w, map[string]any{"now": float64(e.Now().UnixMilli()) / 1000})
	})
	m.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, r *http.Request) {
		e.Reset()
		writeAdminJSON(w, map[string]any{"reset": true})
	})
	m.HandleFunc("GET /_emulator/state", func(w http.ResponseWriter, r *http.Request) {
		b, err := e.State()
		if err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	m.HandleFunc("GET /_emulator/stats", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, e.Stats())
	})
	m.HandleFunc("POST /_emulator/stats/reset", func(w http.ResponseWriter, r *http.Request) {
		e.ResetStats()
		writeAdminJSON(w, e.Stats())
	})
	m.HandleFunc("GET /_emulator/metrics/faults", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, e.MetricsFaults())
	})
	m.HandleFunc("POST /_emulator/metrics/faults", func(w http.ResponseWriter, r *http.Request) {
		var f MetricsFault
		if !readAdminJSON(w, r, &f) {
			return
		}
		if f.StatusCode != "PartialData" && f.StatusCode != "InternalError" && f.StatusCode != "Forbidden" {
			adminError(w, http.StatusBadRequest, "statusCode must be PartialData, InternalError or Forbidden")
			return
		}
		e.AddMetricsFault(f)
		writeAdminJSON(w, e.MetricsFaults())
	})
	m.HandleFunc("DELETE /_emulator/metrics/faults", func(w http.ResponseWriter, r *http.Request) {
		e.ClearMetricsFaults()
		writeAdminJSON(w, []MetricsFault{})
	})
	m.HandleFunc("POST /_emulator/metrics/outages", func(w http.ResponseWriter, r *http.Request) {
		var o MetricsOutage
		if !readAdminJSON(w, r, &o) {
			return
		}
		if o.Region == "" || !o.To.After(o.From) {
			adminError(w, http.StatusBadRequest, "an outage needs a region and from before to (RFC 3339)")
			return
		}
		e.AddMetricsOutage(o)
		writeAdminJSON(w, o)
	})
	m.HandleFunc("POST /_emulator/ttl/expire", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, map[string]int{"deleted": e.ExpireTTL()})
	})
	m.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s", r.Method, r.URL.Path))
	})
}

func readAdminJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		adminError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeAdminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
