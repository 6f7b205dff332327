{{/* The chart's name, or nameOverride. */}}
{{- define "sds-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, used for every object, cut to what Kubernetes names allow:
fullnameOverride, else the release name joined with the chart's name (once). */}}
{{- define "sds-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "sds-operator.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A map of labels or annotations with every value a string: `--set podLabels.x=true` gives a
boolean, which Kubernetes refuses in metadata. */}}
{{- define "sds-operator.strings" -}}
{{- $lines := list -}}
{{- range $key, $value := . -}}
{{- $lines = append $lines (printf "%s: %s" $key ($value | toString | quote)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/* The image: by digest when one is given, else by tag (the chart's appVersion by default). */}}
{{- define "sds-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "sds-operator.serviceAccountName" -}}
{{- default (include "sds-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "sds-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sds-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sds-operator.labels" -}}
{{ include "sds-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
