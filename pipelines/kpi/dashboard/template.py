"""The dashboard's HTML skeleton: a string.Template with inline CSS; plotly.js is inlined into it."""

from string import Template

# The Content-Security-Policy forbids every fetch (no default-src, no connect-src): the file must
# open offline, and a chart that tried to reach a CDN would log a CSP error the browser test sees.
# Plotly draws heatmaps into data: images and compiles some code with new Function (unsafe-eval).
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'unsafe-inline' 'unsafe-eval'",
        "style-src 'unsafe-inline'",
        "img-src data: blob:",
        "font-src data:",
    ]
)

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>crm360 KPI dashboard</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #222; }
header { padding: 16px 28px; background: #1f2a44; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; font-size: 13px; opacity: .85; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px;
  padding: 20px 28px 0; }
.tile { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.tile .label { font-size: 12px; color: #555; }
.tile .value { font-size: 24px; font-weight: 600; margin: 4px 0; }
.tile .change { font-size: 12px; }
.tile .up { color: #1a7f37; } .tile .down { color: #c62828; } .tile .flat { color: #666; }
.tile .previous { font-size: 11px; color: #777; }
.tile .note { font-size: 11px; color: #8a6d3b; background: #fcf8e3; border-radius: 4px; padding: 2px 4px;
  margin-top: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px;
  padding: 20px 28px; }
.chart { background: #fff; border-radius: 8px; margin: 0; padding: 10px 12px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.chart figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
.chart .plot { height: 380px; }
#chart-forecast { grid-column: 1 / -1; }
.no-data { height: 380px; display: flex; align-items: center; justify-content: center;
  color: #8a6d3b; background: #fcf8e3; border: 1px dashed #d6c28b; border-radius: 6px; font-size: 14px;
  padding: 0 16px; text-align: center; }
footer { padding: 0 28px 24px; font-size: 12px; color: #666; }
</style>
<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script>$plotly_js</script>
</head>
<body>
<header>
<h1>crm360 KPI dashboard</h1>
<p>As of $as_of (last order day). Tiles: last $window days against the $window days before.
Amounts in $currency. Generated $generated_at.</p>
</header>
<section class="tiles">
$tiles
</section>
<section class="charts">
$charts
</section>
<footer>Tiles and charts read the marts of schema <code>marts</code> (tiles: <code>kpi_headline</code>).
Rates change in percentage points, NPS in points, other tiles in percent.
Labels of codes: <code>pipelines/kpi/dashboard/labels.py</code>.</footer>
</body>
</html>
""")

TILE = Template("""<div class="tile" data-tile="$key" data-value="$value" data-previous="$previous" \
data-change="$change" data-flagged="$flagged">
<div class="label">$label</div>
<div class="value">$value_text</div>
<div class="change $direction">$change_text</div>
<div class="previous">previous: $previous_text</div>
$note_html
</div>""")

CHART = Template("""<figure class="chart" id="chart-$name" data-chart="$name" data-has-data="$has_data">
<figcaption>$title</figcaption>
$body
</figure>""")

NO_DATA = Template("""<div class="no-data" data-no-data="true">No data yet: $note</div>""")
