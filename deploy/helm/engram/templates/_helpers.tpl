{{/* Names and labels. */}}
{{- define "engram.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "engram.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "engram.selectorLabels" -}}
app.kubernetes.io/name: {{ include "engram.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "engram.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "engram.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: server
{{- end }}

{{- define "engram.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "engram.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "engram.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* local and memory keep their data in the process (or its one directory): one replica, no scaling. */}}
{{- define "engram.singleProcess" -}}
{{- if has .Values.provider (list "local" "memory") }}true{{ end }}
{{- end }}

{{/* Whether engram.yaml is assembled at start by the config init container (API keys come from a Secret). */}}
{{- define "engram.assembledConfig" -}}
{{- if .Values.auth.apiKeys.enabled }}true{{ end }}
{{- end }}

{{- define "engram.configPath" -}}
{{- if include "engram.assembledConfig" . }}/run/engram/engram.yaml{{ else }}/etc/engram/engram.yaml{{ end }}
{{- end }}

{{/*
Refuses values that cannot work, with a message that says what to change. Included by every workload template,
so `helm template` and `helm install` stop before anything is created.
*/}}
{{- define "engram.validate" -}}
{{- $providers := list "local" "memory" "redis" "postgres" "mongodb" }}
{{- if not (has .Values.provider $providers) }}
{{- fail (printf "provider must be one of %s, got %q" (join ", " $providers) .Values.provider) }}
{{- end }}
{{- if and (include "engram.singleProcess" .) (ne (int .Values.replicaCount) 1) }}
{{- $why := ternary "stores threads in one RocksDB directory that only one process may open" "keeps threads in the memory of one process" (eq .Values.provider "local") }}
{{- fail (printf "provider %q %s, so replicaCount must be 1 (got %d); use provider redis, postgres or mongodb to run several replicas" .Values.provider $why (int .Values.replicaCount)) }}
{{- end }}
{{- if lt (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount must be at least 1, got %d" (int .Values.replicaCount)) }}
{{- end }}
{{- range $key := list "host" "port" "tcpBridgePort" "auth" }}
{{- if hasKey $.Values.server.options $key }}
{{- fail (printf "server.options.%s is set by the chart: use server.port, server.tcpBridge or auth instead" $key) }}
{{- end }}
{{- end }}
{{- if and (or .Values.auth.jwt.enabled .Values.auth.apiKeys.enabled) (not .Values.auth.existingSecret) }}
{{- fail "auth.existingSecret must name the Secret holding the JWT key or the API keys (the chart never takes secrets as values)" }}
{{- end }}
{{- if .Values.auth.jwt.enabled }}
{{- if not (has .Values.auth.jwt.algorithm (list "HS256" "RS256")) }}
{{- fail (printf "auth.jwt.algorithm must be HS256 or RS256, got %q" .Values.auth.jwt.algorithm) }}
{{- end }}
{{- if not .Values.auth.jwt.issuer }}
{{- fail "auth.jwt.issuer is required: without it tokens of any issuer would be accepted" }}
{{- end }}
{{- end }}
{{- range $key := list "provider" "strict" "providers" "server" }}
{{- if hasKey $.Values.config $key }}
{{- fail (printf "config.%s is set by the chart: use the chart's own values for it (provider, strict, local/redis/postgres/mongodb, server)" $key) }}
{{- end }}
{{- end }}
{{- range $key := list "dataDir" "sync" "syncInterval" }}
{{- if hasKey $.Values.local.options $key }}
{{- fail (printf "local.options.%s is set by the chart: use local.%s (the data directory is the volume at /data)" $key $key) }}
{{- end }}
{{- end }}
{{- range $name := list "redis" "postgres" "mongodb" }}
{{- $backend := index $.Values $name }}
{{- if hasKey $backend.options "url" }}
{{- fail (printf "%s.options.url: use %s.url, or %s.secretKeys.url for a URL with credentials" $name $name $name) }}
{{- end }}
{{- if and $backend.secretKeys (not $backend.existingSecret) }}
{{- fail (printf "%s.secretKeys names keys of a Secret, so %s.existingSecret must name that Secret" $name $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* engram.yaml. `server:` comes last and ends with `apiKeys:` when the API keys are appended at start. */}}
{{- define "engram.config" -}}
provider: {{ .Values.provider }}
strict: {{ .Values.strict }}
providers:
{{- if eq .Values.provider "local" }}
  local:
    dataDir: /data
    sync: {{ .Values.local.sync }}
    syncInterval: {{ .Values.local.syncInterval }}
    {{- with .Values.local.options }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- else if eq .Values.provider "memory" }}
  memory: {}
{{- else }}
{{- $backend := index .Values .Values.provider }}
  {{ .Values.provider }}:
    {{- with $backend.url }}
    url: {{ . | quote }}
    {{- end }}
    {{- with $backend.options }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- with .Values.config }}
{{ toYaml . }}
{{- end }}
server:
  host: 0.0.0.0
  port: {{ .Values.server.port }}
  tcpBridgePort: {{ if .Values.server.tcpBridge.enabled }}{{ .Values.server.tcpBridge.port }}{{ else }}-1{{ end }}
  {{- with .Values.server.options }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- if or .Values.auth.jwt.enabled .Values.auth.apiKeys.enabled }}
  auth:
  {{- if .Values.auth.jwt.enabled }}
    jwt:
      algorithm: {{ .Values.auth.jwt.algorithm }}
      {{- if eq .Values.auth.jwt.algorithm "HS256" }}
      secret: ${ENGRAM_JWT_SECRET}
      {{- else }}
      publicKey: ${ENGRAM_JWT_PUBLIC_KEY}
      {{- end }}
      issuer: {{ .Values.auth.jwt.issuer | quote }}
      {{- with .Values.auth.jwt.audience }}
      audience: {{ . | quote }}
      {{- end }}
      tenantClaim: {{ .Values.auth.jwt.tenantClaim | quote }}
      leewaySeconds: {{ .Values.auth.jwt.leewaySeconds }}
  {{- end }}
  {{- if .Values.auth.apiKeys.enabled }}
    apiKeys:
  {{- end }}
{{- end }}
{{- end }}

{{/* Environment variables that carry secrets: provider options and the JWT key. */}}
{{- define "engram.secretEnv" -}}
{{- if has .Values.provider (list "redis" "postgres" "mongodb") }}
{{- $backend := index .Values .Values.provider }}
{{- range $option, $key := $backend.secretKeys }}
- name: {{ printf "ENGRAM_PROVIDERS_%s_%s" ($.Values.provider | upper) ($option | snakecase | upper) }}
  valueFrom:
    secretKeyRef:
      name: {{ $backend.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- if .Values.auth.jwt.enabled }}
{{- if eq .Values.auth.jwt.algorithm "HS256" }}
- name: ENGRAM_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: {{ .Values.auth.jwt.secretKey }}
{{- else }}
- name: ENGRAM_JWT_PUBLIC_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: {{ .Values.auth.jwt.publicKeyKey }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod template shared by the StatefulSet (local) and the Deployment (every other provider). */}}
{{- define "engram.podTemplate" -}}
metadata:
  labels:
    {{- include "engram.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "engram.config" . | sha256sum }}
    {{- if .Values.metrics.prometheusAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ .Values.server.port | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "engram.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- if include "engram.assembledConfig" . }}
  initContainers:
    # engram.yaml cannot take a map key from a variable, so the API keys are appended to the file here, under
    # server.auth.apiKeys (the ConfigMap's last line), into a memory-backed volume.
    - name: config
      image: {{ include "engram.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - /bin/sh
        - -ec
        - |
          keys=/etc/engram-auth/api-keys
          if ! grep -Eq '^[[:space:]]*[^#[:space:]]' "$keys"; then
            echo "engram: key {{ .Values.auth.apiKeys.secretKey }} of Secret {{ .Values.auth.existingSecret }} holds no API key" >&2
            exit 1
          fi
          cp /etc/engram/engram.yaml /run/engram/engram.yaml
          sed 's/^/      /' "$keys" >> /run/engram/engram.yaml
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        limits:
          cpu: 100m
          memory: 32Mi
        requests:
          cpu: 10m
          memory: 16Mi
      volumeMounts:
        - name: config
          mountPath: /etc/engram
          readOnly: true
        - name: api-keys
          mountPath: /etc/engram-auth
          readOnly: true
        - name: assembled-config
          mountPath: /run/engram
  {{- end }}
  containers:
    - name: engram
      image: {{ include "engram.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      env:
        - name: ENGRAM_CONFIG
          value: {{ include "engram.configPath" . }}
        - name: JDK_JAVA_OPTIONS
          value: {{ .Values.jvmOptions | quote }}
        {{- with include "engram.secretEnv" . | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.server.port }}
          protocol: TCP
        {{- if .Values.server.tcpBridge.enabled }}
        - name: bridge
          containerPort: {{ .Values.server.tcpBridge.port }}
          protocol: TCP
        {{- end }}
      startupProbe:
        httpGet:
          path: /health/live
          port: http
        periodSeconds: {{ .Values.probes.startup.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: /health/live
          port: http
        periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /health/ready
          port: http
        periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        {{- if include "engram.assembledConfig" . }}
        - name: assembled-config
          mountPath: /run/engram
          readOnly: true
        {{- else }}
        - name: config
          mountPath: /etc/engram
          readOnly: true
        {{- end }}
        - name: tmp
          mountPath: /tmp
        {{- if eq .Values.provider "local" }}
        - name: data
          mountPath: /data
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "engram.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
    {{- if include "engram.assembledConfig" . }}
    - name: assembled-config
      emptyDir:
        medium: Memory
        sizeLimit: 1Mi
    - name: api-keys
      secret:
        secretName: {{ .Values.auth.existingSecret }}
        defaultMode: 0440
        items:
          - key: {{ .Values.auth.apiKeys.secretKey }}
            path: api-keys
    {{- end }}
    {{- if and (eq .Values.provider "local") (not .Values.local.persistence.enabled) }}
    - name: data
      emptyDir: {}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
