package core

import (
	"encoding/json"
	"fmt"
	"time"
)

// The run's CloudWatch metrics, emitted by Summarize in CloudWatch embedded
// metric format (EMF) in its log; infra's alarms and dashboard use the same
// names.
const (
	MetricNamespace           = "DynamoDBXRegionBackup"
	MetricDimensionDestRegion = "DestinationRegion"

	MetricTablesOverRPO      = "TablesOverRPO"
	MetricWorstRPOAgeSeconds = "WorstRPOAgeSeconds"
	MetricTablesCopied       = "TablesCopied"
	MetricTablesUnchanged    = "TablesUnchanged"
	MetricTablesNotDue       = "TablesNotDue"
	MetricTablesDeferred     = "TablesDeferred"
	MetricTablesOff          = "TablesOff"
	MetricTablesFailed       = "TablesFailed"
	MetricTablesUnattainable = "TablesUnattainable"
	MetricGBCopied           = "GBCopied"
	MetricRunCostUSD         = "RunCostUSD"
	// MetricRunsCompleted is 1 per completed run, without dimensions: the
	// heartbeat alarm fires when its sum stays below 1.
	MetricRunsCompleted = "RunsCompleted"
)

// DestinationMetrics is one run's aggregate for one destination region.
type DestinationMetrics struct {
	Region             string
	TablesOverRPO      int
	WorstRPOAgeSeconds float64
	Copied             int
	Unchanged          int
	NotDue             int
	Deferred           int
	Off                int
	Failed             int
	Unattainable       int
	GBCopied           float64
	RunCostUSD         float64
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// EMFLines builds the run's metric log lines: one per destination region
// with the DestinationRegion dimension, then one without dimensions holding
// RunsCompleted = 1. Each line is one JSON object to be written alone as a
// log event, with the _aws metadata (Timestamp in epoch milliseconds, the
// metric directives) and the dimension and metric values as members of the
// root ("Specification: Embedded metric format", Amazon CloudWatch User
// Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
// Units are CloudWatch's StandardUnit names.
func EMFLines(at time.Time, dests []DestinationMetrics) ([][]byte, error) {
	meta := func(dims []string, metrics ...emfMetric) emfMetadata {
		return emfMetadata{Timestamp: at.UnixMilli(), CloudWatchMetrics: []emfDirective{{Namespace: MetricNamespace, Dimensions: [][]string{dims}, Metrics: metrics}}}
	}
	count := func(name string) emfMetric { return emfMetric{name, "Count"} }
	var lines [][]byte
	for _, d := range dests {
		line := map[string]any{
			"_aws": meta([]string{MetricDimensionDestRegion},
				count(MetricTablesOverRPO), emfMetric{MetricWorstRPOAgeSeconds, "Seconds"},
				count(MetricTablesCopied), count(MetricTablesUnchanged), count(MetricTablesNotDue), count(MetricTablesDeferred),
				count(MetricTablesOff), count(MetricTablesFailed), count(MetricTablesUnattainable),
				emfMetric{MetricGBCopied, "Gigabytes"}, emfMetric{MetricRunCostUSD, "None"}),
			MetricDimensionDestRegion: d.Region,
			MetricTablesOverRPO:       d.TablesOverRPO,
			MetricWorstRPOAgeSeconds:  d.WorstRPOAgeSeconds,
			MetricTablesCopied:        d.Copied,
			MetricTablesUnchanged:     d.Unchanged,
			MetricTablesNotDue:        d.NotDue,
			MetricTablesDeferred:      d.Deferred,
			MetricTablesOff:           d.Off,
			MetricTablesFailed:        d.Failed,
			MetricTablesUnattainable:  d.Unattainable,
			MetricGBCopied:            d.GBCopied,
			MetricRunCostUSD:          d.RunCostUSD,
		}
		b, err := json.Marshal(line)
		if err != nil {
			return nil, fmt.Errorf("metrics of %s: %w", d.Region, err)
		}
		lines = append(lines, b)
	}
	b, err := json.Marshal(map[string]any{"_aws": meta([]string{}, count(MetricRunsCompleted)), MetricRunsCompleted: 1})
	if err != nil {
		return nil, fmt.Errorf("heartbeat metric: %w", err)
	}
	return append(lines, b), nil
}
