package admin

import (
	"fmt"
	"strings"

	"imslogin/web"
)

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartHeight = 200
	chartLeft   = 32 // room for the scale
	chartBottom = 26 // room for the dates, which phones show larger
	chartTop    = 10
)

var seriesClasses = []string{"bar-success", "bar-failure", "bar-lockout"}
var seriesNames = []string{"Sign-ins", "Failed sign-ins", "Lockouts"}

// drawChart lays out grouped bars, one group per day, scaled to the
// busiest day; the page draws them as SVG rectangles.
func drawChart(days []DayCounts) web.ActivityChart {
	c := web.ActivityChart{Width: chartWidth, Height: chartHeight}
	peak := 1
	totals := make([]int, len(ChartSeries))
	for _, d := range days {
		for i, n := range d.Counts {
			peak = max(peak, n)
			totals[i] += n
		}
	}
	plotH := chartHeight - chartBottom - chartTop
	slot := (chartWidth - chartLeft) / max(1, len(days))
	barW := max(1, (slot-2)/len(ChartSeries))
	for di, d := range days {
		x0 := chartLeft + di*slot
		for si, n := range d.Counts {
			h := n * plotH / peak
			if n > 0 && h == 0 {
				h = 1
			}
			c.Bars = append(c.Bars, web.ChartBar{X: x0 + si*barW, Y: chartTop + plotH - h, W: barW, H: h,
				Class: seriesClasses[si], Title: fmt.Sprintf("%s: %d %s", d.Day.Format("2 Jan"), n, strings.ToLower(seriesNames[si]))})
		}
		// Every fifth day and the last, which ends at the right edge; the
		// fifth before it is left out so the two never overlap.
		switch last := len(days) - 1; {
		case di == last:
			c.Labels = append(c.Labels, web.ChartLabel{X: chartWidth, Y: chartHeight - 3, Text: d.Day.Format("2 Jan"), End: true})
		case di%5 == 0 && di <= last-6:
			c.Labels = append(c.Labels, web.ChartLabel{X: x0, Y: chartHeight - 3, Text: d.Day.Format("2 Jan")})
		}
	}
	c.Labels = append(c.Labels, web.ChartLabel{X: 0, Y: chartTop + 8, Text: fmt.Sprint(peak)},
		web.ChartLabel{X: 0, Y: chartTop + plotH, Text: "0"})
	var parts []string
	for i, name := range seriesNames {
		c.Legend = append(c.Legend, web.Option{Value: seriesClasses[i], Label: name})
		parts = append(parts, fmt.Sprintf("%d %s", totals[i], strings.ToLower(name)))
	}
	c.Summary = fmt.Sprintf("Over the last %d days: %s. The busiest day had %d.", len(days), strings.Join(parts, ", "), peak)
	return c
}
