{{- define "broken.host" -}}
{{- fail "ingress.host must be set" -}}
{{- end }}
